"""Test certificates made with the openssl command line at test time: CAs, and server or client
certificates they sign (ECDSA P-256), valid or already expired."""
import os
import subprocess


def _run(*args):
    subprocess.run(['openssl', *args], check=True, capture_output=True)


def make_ca(directory, name):
    """Writes <name>.crt/.key, a self-signed CA; returns the certificate's path."""
    crt, key = os.path.join(directory, f'{name}.crt'), os.path.join(directory, f'{name}.key')
    _run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key,
         '-out', crt, '-subj', f'/CN={name}', '-days', '30')
    return crt


def make_cert(directory, name, ca, sans, client=False, days=30):
    """Writes <name>.crt/.key signed by the CA `ca` (a make_ca name) with subjectAltNames sans
    (e.g. ['DNS:localhost', 'IP:127.0.0.1']); days=-1 makes one that expired a day ago.
    Returns (cert path, key path)."""
    crt, key, csr = (os.path.join(directory, f'{name}.{e}') for e in ('crt', 'key', 'csr'))
    ext = os.path.join(directory, f'{name}.ext')
    with open(ext, 'w') as f:
        f.write(f'subjectAltName={",".join(sans)}\n')
        f.write(f'extendedKeyUsage={"clientAuth" if client else "serverAuth"}\n')
    _run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr,
         '-subj', f'/CN={name}')
    _run('x509', '-req', '-in', csr, '-CA', os.path.join(directory, f'{ca}.crt'),
         '-CAkey', os.path.join(directory, f'{ca}.key'), '-CAcreateserial', '-out', crt, '-days', str(days),
         '-extfile', ext)
    return crt, key
