"""The router: REST framework's, with the API's own root view and no format suffixes."""

from __future__ import annotations

from rest_framework import routers

from .views import ApiRootView


class ApiRouter(routers.DefaultRouter):
    """Lists the registered resources and ``root_entries`` (name → URL name) at the root."""

    APIRootView = ApiRootView
    include_format_suffixes = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.root_entries: dict[str, str] = {}

    def get_api_root_view(self, api_urls=None):
        entries = {prefix: self.routes[0].name.format(basename=basename) for prefix, _, basename in self.registry}
        return self.APIRootView.as_view(api_root_dict={**entries, **self.root_entries})
