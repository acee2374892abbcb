"""The files service: uploads to R2 through presigned URLs, signatures, thumbnails, downloads."""
