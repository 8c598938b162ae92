from typing import Any

import jinja2
from fastapi.templating import Jinja2Templates

from .settings import TEMPLATES_DIR

templates = Jinja2Templates(directory=TEMPLATES_DIR)


@jinja2.pass_context
def url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> str:
    """The templates' ``url_for``, as a path on this server ("/static/style.css"), never an
    absolute URL built from the request's Host header (which any client may set)."""
    request = context["request"]
    return request.scope.get("root_path", "") + str(request.app.url_path_for(name, **path_params))


templates.env.globals["url_for"] = url_for
