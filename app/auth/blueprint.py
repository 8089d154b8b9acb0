"""The blueprint of sign-in, sign-out and the account pages (routes in ``views``)."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
