-- First start of the compose PostgreSQL: one database per service (no service reads another's tables).
CREATE DATABASE permitto_auth;
CREATE DATABASE permitto_permits;
CREATE DATABASE permitto_files;
CREATE DATABASE permitto_notifications;
