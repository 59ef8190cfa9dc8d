from iml.settings import _kombu_url


def test_unix_socket_urls_are_translated_for_celery():
    assert (
        _kombu_url("unix:///srv/redis.sock?db=3") == "redis+socket:///srv/redis.sock?virtual_host=3"
    )
    assert _kombu_url("unix:///srv/redis.sock") == "redis+socket:///srv/redis.sock?virtual_host=0"


def test_tcp_urls_are_kept():
    assert _kombu_url("redis://cache:6379/0") == "redis://cache:6379/0"
