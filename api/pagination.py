from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """Page-number pagination with a client-chosen page size, capped to protect the database."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
