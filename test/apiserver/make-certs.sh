#!/usr/bin/env bash
# Generates what kube-test-apiserver serves with, into DIR: a CA (ca.crt, ca.key), a serving
# certificate for 127.0.0.1 and localhost signed by it (server.crt, server.key) and a random
# bearer token (token). Used by the test fixture and by the demo.
set -euo pipefail
dir=${1:?usage: make-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
  -subj "/CN=nfs-provisioner-test-ca" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
  -subj "/CN=kube-test-apiserver" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt \
  -days 2 -extfile server.ext >/dev/null 2>&1
rm -f server.csr server.ext ca.srl
[ -s token ] || openssl rand -hex 24 >token
chmod 600 ca.key server.key token
