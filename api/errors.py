from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """DRF's handler; kept as a seam so every error stays JSON with field-level messages."""
    return drf_exception_handler(exc, context)
