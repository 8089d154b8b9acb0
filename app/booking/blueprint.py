"""The booking pages' blueprint (its own module, so the page modules import it without a cycle)."""

from flask import Blueprint

bp = Blueprint("booking", __name__, template_folder="templates")
