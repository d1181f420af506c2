"""Static files in production: WhiteNoise's compressed, hashed (manifest) storage.

Without `collectstatic` there is no manifest, and Django's manifest storage raises on every page that
links a stylesheet — the admin and the API docs answered 500. Here such a page is still served (with
unhashed links, so unstyled) and the log says once what to do; `check --deploy` fails (tracker/checks.py).
"""

import logging

from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    _reported = False

    def manifest_missing(self) -> bool:
        return not self.hashed_files and not self.exists(self.manifest_name)

    def stored_name(self, name):
        if self.manifest_missing():
            if not ManifestStaticFilesStorage._reported:
                ManifestStaticFilesStorage._reported = True
                logger.error(
                    "静态文件尚未收集（%s 中没有 %s）：页面没有样式。请运行 manage.py collectstatic --noinput。",
                    self.location,
                    self.manifest_name,
                )
            return name
        return super().stored_name(name)
