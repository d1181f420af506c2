import pytest
from django.core.exceptions import ImproperlyConfigured

from config.serving import require_secret_key
from tracker.checks import (
    broker_configured,
    secret_key_from_environment,
    secret_key_is_not_the_sample,
    shared_cache_configured,
    static_files_collected,
)


def test_serving_without_a_secret_key_and_without_debug_is_refused(settings):
    settings.DEBUG, settings.SECRET_KEY_FROM_ENVIRONMENT = False, False
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        require_secret_key()


def test_serving_with_a_secret_key_is_allowed(settings):
    settings.DEBUG, settings.SECRET_KEY_FROM_ENVIRONMENT = False, True
    require_secret_key()


def test_the_deploy_check_reports_a_throwaway_key(settings):
    settings.SECRET_KEY_FROM_ENVIRONMENT = False
    assert [e.id for e in secret_key_from_environment()] == ["tidu.E001"]
    settings.SECRET_KEY_FROM_ENVIRONMENT = True
    assert secret_key_from_environment() == []


def test_the_deploy_check_fails_when_tasks_would_run_in_process(settings):
    settings.CELERY_BROKER_URL = ""
    assert [w.id for w in broker_configured()] == ["tidu.E002"]
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    assert broker_configured() == []


def test_the_deploy_check_fails_on_the_sample_secret_key_of_env_example(settings):
    sample = next(
        line.split("=", 1)[1].strip() for line in open(".env.example", encoding="utf-8") if line.startswith("SECRET_KEY=")
    )
    settings.SECRET_KEY = sample
    assert [e.id for e in secret_key_is_not_the_sample()] == ["tidu.E003"]
    settings.SECRET_KEY = "x" * 50
    assert secret_key_is_not_the_sample() == []


def test_the_deploy_check_fails_when_static_files_are_not_collected(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "config.static.ManifestStaticFilesStorage"}}
    assert [e.id for e in static_files_collected()] == ["tidu.E004"]
    (tmp_path / "staticfiles.json").write_text('{"paths": {}, "version": "1.1"}')
    assert static_files_collected() == []


def test_the_deploy_check_warns_when_throttling_is_counted_per_process(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [w.id for w in shared_cache_configured()] == ["tidu.W002"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://"}}
    assert shared_cache_configured() == []
