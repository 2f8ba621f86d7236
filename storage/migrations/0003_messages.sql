-- Messages and read receipts.
--
-- (room_type, room_id, id) serves every history query: latest page, pages before a
-- cursor and catch-up after an id are each one range scan. clientMessageId is binary
-- (exact bytes, no case folding or trailing-space padding) and unique per sender, so
-- a resend can never store a second copy. Times are DATETIME(3) in UTC, written by
-- the server's clock (the 24-hour rule is decided from the stored created_at).

CREATE TABLE IF NOT EXISTS messages (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  room_type ENUM('project', 'study') NOT NULL,
  room_id BIGINT UNSIGNED NOT NULL,
  sender_id BIGINT UNSIGNED NOT NULL,
  type ENUM('text', 'image', 'file') NOT NULL,
  content MEDIUMTEXT NOT NULL,
  file_id BIGINT UNSIGNED NULL,
  file_name VARCHAR(255) NULL,
  file_size BIGINT UNSIGNED NULL,
  mime_type VARCHAR(255) NULL,
  reply_to_id BIGINT UNSIGNED NULL,
  client_message_id VARBINARY(256) NULL,
  edited_at DATETIME(3) NULL,
  deleted_at DATETIME(3) NULL,
  created_at DATETIME(3) NOT NULL,
  updated_at DATETIME(3) NOT NULL,
  PRIMARY KEY (id),
  KEY idx_messages_room (room_type, room_id, id),
  UNIQUE KEY uq_messages_sender_client_id (sender_id, client_message_id),
  KEY idx_messages_file (file_id),
  KEY idx_messages_reply_to (reply_to_id),
  CONSTRAINT fk_messages_sender FOREIGN KEY (sender_id) REFERENCES users (id),
  CONSTRAINT fk_messages_file FOREIGN KEY (file_id) REFERENCES files (id),
  CONSTRAINT fk_messages_reply_to FOREIGN KEY (reply_to_id) REFERENCES messages (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- One receipt per (message, user): the primary key makes a repeat a no-op.
CREATE TABLE IF NOT EXISTS message_reads (
  message_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  read_at DATETIME(3) NOT NULL,
  PRIMARY KEY (message_id, user_id),
  KEY idx_message_reads_user (user_id),
  CONSTRAINT fk_message_reads_message FOREIGN KEY (message_id) REFERENCES messages (id),
  CONSTRAINT fk_message_reads_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
