-- Uploaded files' metadata. The bytes live in the data directory under storage_key.
-- (attached, created_at) serves the housekeeping query for stale unattached uploads.

CREATE TABLE IF NOT EXISTS files (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  uploader_id BIGINT UNSIGNED NOT NULL,
  file_name VARCHAR(255) NOT NULL,
  file_size BIGINT UNSIGNED NOT NULL,
  mime_type VARCHAR(255) NOT NULL,
  storage_key VARCHAR(512) NOT NULL,
  attached TINYINT(1) NOT NULL DEFAULT 0,
  created_at DATETIME(3) NOT NULL,
  PRIMARY KEY (id),
  KEY idx_files_unattached (attached, created_at),
  KEY idx_files_uploader (uploader_id),
  CONSTRAINT fk_files_uploader FOREIGN KEY (uploader_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
