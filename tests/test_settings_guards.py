import pytest
from django.core.exceptions import ImproperlyConfigured

from config.serving import require_secret_key
from tracker.checks import broker_configured, secret_key_from_environment


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


def test_the_deploy_check_warns_when_tasks_would_run_in_process(settings):
    settings.CELERY_BROKER_URL = ""
    assert [w.id for w in broker_configured()] == ["tidu.W001"]
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    assert broker_configured() == []
