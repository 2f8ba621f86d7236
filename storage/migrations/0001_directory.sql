-- The directory the access rules read: users, projects, grants, studies, tasks.
-- Every statement is idempotent so a migration interrupted half-way can be re-run.

CREATE TABLE IF NOT EXISTS users (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  first_name VARCHAR(100) NOT NULL,
  last_name VARCHAR(100) NOT NULL,
  role ENUM('manager', 'researcher') NOT NULL,
  PRIMARY KEY (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS projects (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  name VARCHAR(200) NOT NULL,
  created_by BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (id),
  KEY idx_projects_created_by (created_by),
  CONSTRAINT fk_projects_created_by FOREIGN KEY (created_by) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Managers' access grants; the primary key answers "is user U granted project P".
CREATE TABLE IF NOT EXISTS project_access (
  project_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (project_id, user_id),
  KEY idx_project_access_user (user_id),
  CONSTRAINT fk_project_access_project FOREIGN KEY (project_id) REFERENCES projects (id),
  CONSTRAINT fk_project_access_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- (id, project_id) is unique so tasks can refer to a study of their own project.
CREATE TABLE IF NOT EXISTS studies (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  project_id BIGINT UNSIGNED NOT NULL,
  name VARCHAR(200) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_studies_id_project (id, project_id),
  KEY idx_studies_project (project_id),
  CONSTRAINT fk_studies_project FOREIGN KEY (project_id) REFERENCES projects (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- The researcher rules ask "has user U a task in project P / in study S of project
-- P": (project_id, assignee_id) and (study_id, project_id, assignee_id) answer each
-- with one index lookup, and also serve the two foreign keys on project and study.
-- Three secondary indexes in all: each one costs every task insert (and the
-- load-test fixture inserts millions).
CREATE TABLE IF NOT EXISTS tasks (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  project_id BIGINT UNSIGNED NOT NULL,
  study_id BIGINT UNSIGNED NULL,
  assignee_id BIGINT UNSIGNED NULL,
  title VARCHAR(200) NOT NULL,
  PRIMARY KEY (id),
  KEY idx_tasks_project_assignee (project_id, assignee_id),
  KEY idx_tasks_study_project_assignee (study_id, project_id, assignee_id),
  KEY idx_tasks_assignee (assignee_id),
  CONSTRAINT fk_tasks_project FOREIGN KEY (project_id) REFERENCES projects (id),
  CONSTRAINT fk_tasks_study FOREIGN KEY (study_id, project_id) REFERENCES studies (id, project_id),
  CONSTRAINT fk_tasks_assignee FOREIGN KEY (assignee_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
