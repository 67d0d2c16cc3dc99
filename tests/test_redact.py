"""Feed URLs in logs lose their credentials and query values."""

from bot.redact import redact_url, redact_urls


def test_credentials_and_query_values_are_dropped():
    shown = redact_url("https://alice:s3cret@news.example:8443/feed.xml?token=abc123&lang=en#x")
    assert shown == "https://news.example:8443/feed.xml?token=…&lang=…"
    assert "s3cret" not in shown and "abc123" not in shown


def test_plain_urls_stay_readable():
    assert redact_url("https://news.example/rss") == "https://news.example/rss"


def test_urls_quoted_in_an_error_are_redacted_and_the_sentence_kept():
    error = ("https://news.example/rss?token=abc123 answered HTTP 503 "
             "(after https://news.example/old?key=k9).")
    assert redact_urls(error) == ("https://news.example/rss?token=… answered HTTP 503 "
                                  "(after https://news.example/old?key=…).")


def test_slack_tokens_are_cut_from_log_records_whatever_carries_them():
    import logging

    from bot.redact import TokenFilter, redact_tokens

    body = "{'access_token': 'xoxb-2-Two-Secret', 'refresh': 'xoxe-1-abc', 'app': 'xapp-1-A1-9'}"
    assert redact_tokens(body) == "{'access_token': 'xoxb-…', 'refresh': 'xoxe-…', 'app': 'xapp-…'}"
    record = logging.LogRecord("slack_sdk", logging.DEBUG, __file__, 1, "body: %s", (body,), None)
    assert TokenFilter().filter(record) and "Secret" not in record.getMessage()
    assert redact_tokens("no tokens, just xoxo-gossip") == "no tokens, just xoxo-gossip"
