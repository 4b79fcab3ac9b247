from tests.oauth.conftest import (  # noqa: F401 - shared fixtures
    _fresh_cache,
    app,
    custom_scope,
    order_scope,
    product_scope,
    seller,
    shop,
)
