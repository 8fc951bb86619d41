import re

_TOKEN = re.compile(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+')


def normalised_body(response, path: str) -> str:
    """The page with the per-request parts (CSRF tokens, own path) removed."""
    return _TOKEN.sub(r"\1", response.content.decode()).replace(path, "")


def assert_looks_missing(client, forbidden_url: str, missing_url: str) -> None:
    """Not found and not allowed must look the same: same status, same page."""
    forbidden, missing = client.get(forbidden_url), client.get(missing_url)
    assert forbidden.status_code == missing.status_code == 404
    assert normalised_body(forbidden, forbidden_url) == normalised_body(missing, missing_url)
