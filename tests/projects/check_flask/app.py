"""A small Flask-SQLAlchemy app with Flask-Migrate (the `flask db` commands)."""

from flask import Flask
from flask_migrate import Migrate
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


def create_app():
    app = Flask(__name__)
    # The developer's own database: check must never touch it.
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///dev.db"
    db.init_app(app)
    migrate.init_app(app, db)
    return app
