"""Helpers every command shares (lint, check, doctor, graph): how paths are shown
and which command fixes a problem. Small and free of heavy imports."""
