"""Uploads never take more than the limit in memory or on disk.

Django stores a whole upload before the view can refuse it. This handler, first in
FILE_UPLOAD_HANDLERS, lets through one byte more than BTECQA_UPLOAD_MAX_BYTES and
drops the rest, so the importers' own size check still sees "too large" and says so,
while a 2 GB upload costs 10 MB of temporary file, not 2 GB.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler


class UploadSizeLimit(FileUploadHandler):
    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.kept = 0

    def receive_data_chunk(self, raw_data, start):
        room = settings.BTECQA_UPLOAD_MAX_BYTES + 1 - self.kept
        if room <= 0:
            return None  # dropped: the later handlers never see it
        chunk = raw_data[:room]
        self.kept += len(chunk)
        return chunk

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) builds the file
