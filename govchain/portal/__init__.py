"""The web portal: server-rendered pages for one key, signing locally with the SDK.

``govchain portal --key NAME`` serves :func:`create_app`; see docs/portal.md.
"""

from govchain.portal.backend import Backend, PortalConfig, Problem, Roles
from govchain.portal.web import create_app

__all__ = ["Backend", "PortalConfig", "Problem", "Roles", "create_app"]
