-- Certificates and CAs (issue 4): the certificate registry of src/certs.
-- Described in docs/formats/sql-schema.md ("Certificates and CAs").

-- A registered CA: the data dir's built-in CA (builtin = 1) or a customer CA registered with
-- RegisterCACertificate. certificate_id is the lowercase hex SHA-256 of the DER.
CREATE TABLE ca_certificates (
  certificate_id TEXT PRIMARY KEY NOT NULL,
  certificate_pem TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'INACTIVE')),
  auto_registration INTEGER NOT NULL CHECK (auto_registration IN (0, 1)),
  builtin INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
  registration_config TEXT NOT NULL DEFAULT '',
  created_at_ms BIGINT NOT NULL,
  modified_at_ms BIGINT NOT NULL,
  customer_version BIGINT NOT NULL,
  generation_id TEXT NOT NULL
);

-- A registered device certificate. ca_certificate_id is '' for RegisterCertificateWithoutCA.
CREATE TABLE certificates (
  certificate_id TEXT PRIMARY KEY NOT NULL,
  certificate_pem TEXT NOT NULL,
  ca_certificate_id TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'INACTIVE', 'REVOKED', 'PENDING_TRANSFER', 'REGISTER_INACTIVE',
                                         'PENDING_ACTIVATION')),
  created_at_ms BIGINT NOT NULL,
  modified_at_ms BIGINT NOT NULL,
  customer_version BIGINT NOT NULL,
  generation_id TEXT NOT NULL
);
CREATE INDEX certificates_ca ON certificates (ca_certificate_id);

-- The CRL imported for a customer CA (tenet extension), as DER; replaced by each import.
CREATE TABLE ca_crls (
  ca_certificate_id TEXT PRIMARY KEY NOT NULL REFERENCES ca_certificates (certificate_id) ON DELETE CASCADE,
  crl_der BLOB NOT NULL,
  loaded_at_ms BIGINT NOT NULL
);

-- Named settings of the registry: 'registration_code' (GetRegistrationCode).
CREATE TABLE certs_settings (
  name TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
);
