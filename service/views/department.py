"""A department's page behind its token link: download its own file, upload, see the findings."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["处室 department"])
