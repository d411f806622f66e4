"""idp: preview environments and infrastructure runs for AWS teams."""

from idp._idp import IdpError, InvalidName, __version__, check_env_name, env_name

__all__ = ["IdpError", "InvalidName", "__version__", "check_env_name", "env_name"]
