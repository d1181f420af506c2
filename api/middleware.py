"""Every API answer is marked ``Cache-Control: no-store``: it holds data of one user's region, which no
browser, proxy or shared cache may keep or hand to another user."""

from django.utils.cache import patch_cache_control


def no_store_middleware(get_response):
    def middleware(request):
        response = get_response(request)
        if request.path.startswith("/api/") and not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True)
        return response

    return middleware
