"""A small Flask-SQLAlchemy app with Flask-Migrate whose factory upgrades the database
itself when the app is loaded, as CTFd's and ihatemoney's do (`flask db upgrade` loads
the app, which has then applied every revision already)."""

from flask import Flask
from flask_migrate import Migrate, upgrade
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
migrate = Migrate()


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(64), nullable=False, unique=True)
    email = db.Column(db.String(120), index=True)


class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False)
    body = db.Column(db.Text, nullable=False)


class DevelopmentConfig:
    # The developer's own database: check must never touch it.
    SQLALCHEMY_DATABASE_URI = "sqlite:///dev.db"
    SQLALCHEMY_TRACK_MODIFICATIONS = False


config = {"development": DevelopmentConfig}


def create_app():
    app = Flask(__name__)
    app.config.from_object(config["development"])
    db.init_app(app)
    migrate.init_app(app, db)
    with app.app_context():
        upgrade()
    return app
