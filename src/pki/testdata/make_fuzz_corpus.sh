#!/bin/sh
# Regenerates fuzz_corpus/ for pki_fuzz. The first byte of each file selects the parser
# ('0' inspect, '1' parse_crl, '2' sign_csr, '3' verify_issued_by); the rest is the input.
set -eu
out=$(cd "$(dirname "$0")" && pwd)/fuzz_corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
  -subj "/O=fuzz/CN=fuzz ca" -days 3650 -out ca.pem 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout dev.key \
  -subj "/O=fuzz/OU=a/OU=b/CN=dev" -addext "subjectAltName=DNS:d.example,IP:10.0.0.1,email:a@b.c" \
  -out dev.csr 2>/dev/null
openssl x509 -req -in dev.csr -CA ca.pem -CAkey ca.key -set_serial 0x0102 -days 3650 \
  -copy_extensions copy -out dev.pem 2>/dev/null
printf '' > index.txt
echo 01 > crlnumber
cat > ca.cnf <<'CNF'
[ca]
default_ca = d
[d]
database = index.txt
crlnumber = crlnumber
certificate = ca.pem
private_key = ca.key
default_md = sha256
default_crl_days = 30
CNF
openssl ca -config ca.cnf -revoke dev.pem 2>/dev/null
openssl ca -config ca.cnf -gencrl -out crl.pem 2>/dev/null
openssl crl -in crl.pem -outform DER -out crl.der
rm -f "$out"/*
mkdir -p "$out"
{ printf 0; cat dev.pem; } > "$out/inspect_cert.pem"
{ printf 0; cat ca.pem dev.pem; } > "$out/inspect_bundle.pem"
{ printf 0; head -c 300 dev.pem; } > "$out/inspect_truncated.pem"
{ printf 1; cat crl.pem; } > "$out/crl.pem"
{ printf 1; cat crl.der; } > "$out/crl.der"
{ printf 2; cat dev.csr; } > "$out/csr.pem"
{ printf 3; cat dev.pem; } > "$out/verify_cert.pem"
printf '2-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n' \
  > "$out/csr_garbage.pem"
printf '1\060\202\377\377garbage' > "$out/crl_garbage.der"
