"""Flask extensions, created unbound and bound to an app in ``create_app``."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from .models import Base

# Objects stay readable after commit: views serialise what they just committed.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
login = LoginManager()
csrf = CSRFProtect()
babel = Babel()
socketio = SocketIO()
