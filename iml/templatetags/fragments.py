"""``{% versioned "name" [personal] part… %}…{% endversioned %}``: a block rendered once, then
read from the cache until the organisation's data change (``iml.fragments``)."""

from __future__ import annotations

import zlib
from typing import Any

from django import template
from django.core.cache import cache
from django.utils.safestring import mark_safe

from iml.fragments import fragment_key

register = template.Library()

# Letters only: the same once escaped in an attribute.
CSRF_PLACEHOLDER = "imlCsrfTokenPlaceholder"
# A write retires an organisation's blocks, which then only wait for their expiry: an hour
# bounds what a busy operator leaves in Redis (compressed, a block is 2 to 5 kB).
FRAGMENT_TIMEOUT = 3600


class VersionedNode(template.Node):
    # Not searched for ``{% block %}`` tags: every page render walks its base template for
    # them, and the navigation block holds none (a block inside ``versioned`` could not be
    # overridden).
    child_nodelists = ()

    def __init__(
        self, nodelist: template.NodeList, name: str, parts: list[Any], personal: bool
    ) -> None:
        self.nodelist = nodelist
        self.name = name
        self.parts = parts
        self.personal = personal

    def render(self, context: template.Context) -> str:
        request = context.get("request")
        parts = [part.resolve(context) for part in self.parts]
        key = fragment_key(request, self.name, parts, personal=self.personal)
        # A form redisplayed with its errors (a POST) is never the cached block.
        if key is None or request.method != "GET":
            return self.nodelist.render(context)
        stored = cache.get(key)
        if stored is None:
            # The block's forms carry a placeholder, the request's own CSRF token replaces it.
            with context.push(csrf_token=CSRF_PLACEHOLDER):
                html = str(self.nodelist.render(context))
            cache.set(key, zlib.compress(html.encode(), 1), FRAGMENT_TIMEOUT)
        else:
            html = zlib.decompress(stored).decode()
        if CSRF_PLACEHOLDER in html:
            html = html.replace(CSRF_PLACEHOLDER, str(context.get("csrf_token", "")))
        # Rendered, hence escaped, by the template engine.
        return mark_safe(html)


@register.tag
def versioned(parser: template.base.Parser, token: template.base.Token) -> VersionedNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("« versioned » attend un nom de bloc.")
    nodelist = parser.parse(("endversioned",))
    parser.delete_first_token()
    name, parts = bits[1].strip("\"'"), bits[2:]
    personal = "personal" in parts
    parts = [parser.compile_filter(bit) for bit in parts if bit != "personal"]
    return VersionedNode(nodelist, name, parts, personal)
