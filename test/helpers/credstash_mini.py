#!/usr/bin/env python3
"""A faithful, minimal re-implementation of credstash 1.17.1's putSecret / getSecret (boto3).

credstash itself cannot be installed here, so this reproduces its code paths line for line:
the DynamoDB *resource* API (`Table.put_item` with `Attr('name').not_exists()`, which boto3 sends
as `attribute_not_exists(#n0)`; `Table.query` with `Key('name').eq(name)`, `Limit=1`,
`ScanIndexForward=False`, `ConsistentRead=True`; `Table.get_item` for an explicit version), the KMS
*client* (`generate_data_key(KeyId, EncryptionContext, NumberOfBytes=64)`,
`decrypt(CiphertextBlob, EncryptionContext)`), AES-256-CTR with the first 32 key bytes and the
fixed initial counter block 00..01 (`LEGACY_NONCE`), HMAC of the ciphertext with the last 32 key
bytes, `hmac` stored as the *bytes* of the lower-case hex text (so boto3 writes DynamoDB type B, as
credstash >= 1.13.1 on Python 3 does), versions left-padded with zeros to 19 characters.

Plaintext never travels on argv: `put` reads the value from stdin (raw bytes, decoded as UTF-8,
exactly what credstash's `put NAME -` does) and `get` writes the value's UTF-8 bytes to stdout
with no newline (credstash `get -n`).

Usage (endpoints from arguments, credentials from the environment):
  credstash_mini.py [--region R] --dynamodb-endpoint URL --kms-endpoint URL \
      put TABLE NAME [k=v ...] [-v VERSION] [-k KEY] [-d DIGEST] [-c COMMENT]   < value
  credstash_mini.py [...] get TABLE NAME [k=v ...] [-v VERSION]
  credstash_mini.py [--region R] --kms-endpoint URL kms-roundtrip [--key-id alias/credstash]
  credstash_mini.py serve   (many of the above in one process: JSON lines in and out, see serve())

Errors print one line to stderr (credstash's texts) and exit 1; argument errors exit 2.
"""
import argparse
import codecs
import hmac as std_hmac
import json
import os
import sys
from base64 import b64decode, b64encode

import boto3
import botocore.exceptions
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError
from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.hmac import HMAC

# --- constants of credstash 1.17.1 -------------------------------------------------------------
DEFAULT_DIGEST = "SHA256"
HASHING_ALGORITHMS = ["SHA", "SHA224", "SHA256", "SHA384", "SHA512", "MD5"]
LEGACY_NONCE = b"\x00" * 15 + b"\x01"
assert LEGACY_NONCE == (1).to_bytes(16, "big")
DEFAULT_REGION = "us-east-1"
PAD_LEN = 19


class KmsError(Exception):
    def __init__(self, value=""):
        self.value = "KMS ERROR: " + value if value != "" else "KMS ERROR"

    def __str__(self):
        return self.value


class IntegrityError(Exception):
    def __init__(self, value=""):
        self.value = "INTEGRITY ERROR: " + value if value != "" else "INTEGRITY ERROR"

    def __str__(self):
        return self.value


class ItemNotFound(Exception):
    pass


def paddedInt(i):
    """Left-pad with zeros to PAD_LEN characters (any string, as credstash does)."""
    i_str = str(i)
    pad = PAD_LEN - len(i_str)
    return (pad * "0") + i_str


_hash_classes = {
    "SHA": hashes.SHA1,
    "SHA224": hashes.SHA224,
    "SHA256": hashes.SHA256,
    "SHA384": hashes.SHA384,
    "SHA512": hashes.SHA512,
    "MD5": hashes.MD5,
}


def get_digest(digest):
    try:
        return _hash_classes[digest]()
    except KeyError:
        raise ValueError("Could not find " + digest + " in cryptography.hazmat.primitives.hashes")


class KeyService(object):
    def __init__(self, kms, key_id, encryption_context):
        self.kms = kms
        self.key_id = key_id
        self.encryption_context = encryption_context

    def generate_key_data(self, number_of_bytes):
        try:
            kms_response = self.kms.generate_data_key(
                KeyId=self.key_id, EncryptionContext=self.encryption_context, NumberOfBytes=number_of_bytes
            )
        except Exception as e:
            raise KmsError("Could not generate key using KMS key %s (Details: %s)" % (self.key_id, str(e)))
        return kms_response["Plaintext"], kms_response["CiphertextBlob"]

    def decrypt(self, encoded_key):
        try:
            kms_response = self.kms.decrypt(CiphertextBlob=encoded_key, EncryptionContext=self.encryption_context)
        except ClientError as e:
            if e.response["Error"]["Code"] == "InvalidCiphertextException":
                if self.encryption_context is None:
                    msg = ("Could not decrypt hmac key with KMS. The credential may "
                           "require that an encryption context be provided to decrypt it.")
                else:
                    msg = ("Could not decrypt hmac key with KMS. The encryption "
                           "context provided may not match the one used when the "
                           "credential was stored.")
            else:
                msg = "Decryption error %s" % e
            raise KmsError(msg)
        return kms_response["Plaintext"]


def _halve_key(key):
    half = len(key) // 2
    return key[:half], key[half:]


def _get_hmac(key, ciphertext, digest_method):
    hmac = HMAC(key, get_digest(digest_method), backend=default_backend())
    hmac.update(ciphertext)
    return hmac.finalize()


def _seal_aes_ctr(plaintext, key, nonce, digest_method):
    data_key, hmac_key = _halve_key(key)
    encryptor = Cipher(algorithms.AES(data_key), modes.CTR(nonce), backend=default_backend()).encryptor()
    ciphertext = encryptor.update(plaintext.encode("utf-8")) + encryptor.finalize()
    return ciphertext, _get_hmac(hmac_key, ciphertext, digest_method)


def _open_aes_ctr(key, nonce, ciphertext, expected_hmac, digest_method):
    data_key, hmac_key = _halve_key(key)
    hmac = _get_hmac(hmac_key, ciphertext, digest_method)
    # Check the HMAC before decrypting (credstash uses constant_time.bytes_eq; same contract).
    if not std_hmac.compare_digest(hmac, expected_hmac):
        raise IntegrityError("Computed HMAC on %s does not match stored HMAC")
    decryptor = Cipher(algorithms.AES(data_key), modes.CTR(nonce), backend=default_backend()).decryptor()
    return decryptor.update(ciphertext) + decryptor.finalize()


def seal_aes_ctr_legacy(key_service, secret, digest_method=DEFAULT_DIGEST):
    key, encoded_key = key_service.generate_key_data(64)
    ciphertext, hmac = _seal_aes_ctr(secret, key, LEGACY_NONCE, digest_method)
    return {
        "key": b64encode(encoded_key).decode("utf-8"),
        "contents": b64encode(ciphertext).decode("utf-8"),
        # bytes of the hex text → boto3 serialises it as DynamoDB type B (credstash >= 1.13.1)
        "hmac": codecs.encode(hmac, "hex_codec"),
        "digest": digest_method,
    }


def open_aes_ctr_legacy(key_service, material):
    key = key_service.decrypt(b64decode(material["key"]))
    digest_method = material.get("digest", DEFAULT_DIGEST)
    ciphertext = b64decode(material["contents"])
    if hasattr(material["hmac"], "value"):  # boto3 Binary (type B)
        hmac = codecs.decode(material["hmac"].value, "hex")
    else:  # legacy type S
        hmac = codecs.decode(material["hmac"], "hex")
    return _open_aes_ctr(key, LEGACY_NONCE, ciphertext, hmac, digest_method).decode("utf-8")


# --- sessions / clients: endpoints from arguments, credentials from the environment -------------
_SESSIONS = {}


def make_clients(args):
    # One boto3 session per AWS environment (credentials, config files, retry settings) for the
    # life of the process: a session resolves them from the environment as a fresh process would,
    # and keeps the service models it parsed (a new session per call parses them again, ~140 ms).
    # Another set of credentials (a wrong secret, an unknown key id) gets a session of its own.
    aws_env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))
    session = _SESSIONS.get(aws_env)
    if session is None:
        session = _SESSIONS[aws_env] = boto3.session.Session()
    kms = session.client("kms", region_name=args.region, endpoint_url=args.kms_endpoint)
    dynamodb = None
    if args.dynamodb_endpoint:
        dynamodb = session.resource("dynamodb", region_name=args.region, endpoint_url=args.dynamodb_endpoint)
    return kms, dynamodb


def putSecret(name, secret, version="", kms_key="alias/credstash", table="credential-store", context=None,
              digest=DEFAULT_DIGEST, comment="", kms=None, dynamodb=None):
    """credstash.putSecret: GenerateDataKey first, then the conditional PutItem."""
    if not context:
        context = {}
    key_service = KeyService(kms, kms_key, context)
    sealed = seal_aes_ctr_legacy(key_service, secret, digest_method=digest)
    secrets = dynamodb.Table(table)
    data = {"name": name, "version": paddedInt(version)}
    if comment:
        data["comment"] = comment
    data.update(sealed)
    return secrets.put_item(Item=data, ConditionExpression=Attr("name").not_exists())


def getSecret(name, version="", table="credential-store", context=None, dynamodb=None, kms=None):
    """credstash.getSecret: consistent Query (Limit 1, descending) for the latest, else GetItem."""
    if not context:
        context = {}
    secrets = dynamodb.Table(table)
    if version == "":
        response = secrets.query(
            Limit=1, ScanIndexForward=False, ConsistentRead=True, KeyConditionExpression=Key("name").eq(name)
        )
        if response["Count"] == 0:
            raise ItemNotFound("Item {'name': '%s'} couldn't be found." % name)
        material = response["Items"][0]
    else:
        if len(version) < PAD_LEN:
            version = paddedInt(int(version))
        response = secrets.get_item(Key={"name": name, "version": version})
        if "Item" not in response:
            raise ItemNotFound("Item {'name': '%s', 'version': '%s'} couldn't be found." % (name, version))
        material = response["Item"]
    key_service = KeyService(kms, None, context)
    return open_aes_ctr_legacy(key_service, material)


def key_value_pair(string):
    output = string.split("=")
    if len(output) != 2 or "" in output:
        raise argparse.ArgumentTypeError("%s is not the form of \"key=value\"" % string)
    return output


def kms_roundtrip(kms, key_id):
    """GenerateDataKey / Encrypt / Decrypt / DescribeKey / ListAliases through boto3; JSON report."""
    out = {}
    aliases = []
    for page in kms.get_paginator("list_aliases").paginate():
        aliases.extend(a["AliasName"] for a in page["Aliases"])
    out["aliases"] = sorted(aliases)
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    out["describe"] = {"KeyId": meta["KeyId"], "Arn": meta["Arn"], "Enabled": meta["Enabled"],
                       "KeyState": meta.get("KeyState"), "KeyUsage": meta.get("KeyUsage")}
    ctx = {"purpose": "interop", "lang": "python"}
    dk = kms.generate_data_key(KeyId=key_id, NumberOfBytes=64, EncryptionContext=ctx)
    out["generateDataKey"] = {"plaintextLength": len(dk["Plaintext"]), "KeyId": dk["KeyId"]}
    back = kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext=ctx)
    out["dataKeyRoundtrip"] = back["Plaintext"] == dk["Plaintext"]
    out["decryptKeyId"] = back["KeyId"]
    try:
        kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext={"purpose": "other"})
        out["wrongContextError"] = None
    except ClientError as e:
        out["wrongContextError"] = e.response["Error"]["Code"]
    blob = bytes(range(256)) + "naïve ✓".encode("utf-8")
    enc = kms.encrypt(KeyId=key_id, Plaintext=blob)
    out["encryptKeyId"] = enc["KeyId"]
    dec = kms.decrypt(CiphertextBlob=enc["CiphertextBlob"])
    out["encryptRoundtrip"] = dec["Plaintext"] == blob
    # The same data key opened through credstash's own KeyService wrapper.
    out["keyServiceRoundtrip"] = KeyService(kms, None, ctx).decrypt(dk["CiphertextBlob"]) == dk["Plaintext"]
    return out


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="credstash_mini")
    parser.add_argument("--region", default=DEFAULT_REGION)
    parser.add_argument("--dynamodb-endpoint")
    parser.add_argument("--kms-endpoint", required=True)
    sub = parser.add_subparsers(dest="action", required=True)

    put = sub.add_parser("put", help="store the value read from stdin")
    put.add_argument("table")
    put.add_argument("credential")
    put.add_argument("context", type=key_value_pair, nargs="*")
    put.add_argument("-k", "--key", dest="key", default="alias/credstash")
    put.add_argument("-c", "--comment", default="")
    put.add_argument("-v", "--version", default="1")  # credstash CLI `put` default
    put.add_argument("-d", "--digest", default=DEFAULT_DIGEST, choices=HASHING_ALGORITHMS)

    get = sub.add_parser("get", help="print the value, no newline")
    get.add_argument("table")
    get.add_argument("credential")
    get.add_argument("context", type=key_value_pair, nargs="*")
    get.add_argument("-v", "--version", default="")

    rt = sub.add_parser("kms-roundtrip", help="exercise the KMS API through boto3, print JSON")
    rt.add_argument("--key-id", default="alias/credstash")
    return parser.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    try:
        kms, dynamodb = make_clients(args)
        if args.action == "kms-roundtrip":
            sys.stdout.write(json.dumps(kms_roundtrip(kms, args.key_id), sort_keys=True))
            return 0
        if dynamodb is None:
            sys.stderr.write("--dynamodb-endpoint is required for %s\n" % args.action)
            return 2
        context = dict(args.context or [])
        if args.action == "put":
            value = sys.stdin.buffer.read().decode("utf-8")
            putSecret(args.credential, value, version=args.version, kms_key=args.key, table=args.table,
                      context=context, digest=args.digest, comment=args.comment, kms=kms, dynamodb=dynamodb)
            return 0
        value = getSecret(args.credential, version=args.version, table=args.table, context=context,
                          dynamodb=dynamodb, kms=kms)
        sys.stdout.buffer.write(value.encode("utf-8"))
        sys.stdout.buffer.flush()
        return 0
    except (KmsError, IntegrityError, ItemNotFound, ClientError, ValueError,
            botocore.exceptions.BotoCoreError) as e:
        sys.stderr.write("%s\n" % e)
        return 1


def serve():
    """Run many invocations in one Python process (boto3's import costs most of a launch).

    Reads one JSON request a line from stdin: {"argv": [...], "input": base64, "env": {...}}; runs
    `main(argv)` with that stdin, those environment variables (credentials) and captured
    stdout/stderr; answers one JSON line: {"code": int, "stdout": base64, "stderr": text}.
    With "program": "aws" it runs the AWS CLI v1 instead: the driver its `aws` script runs
    (awscli.clidriver), a fresh one per request, as a fresh `aws` process would build it.
    """
    import io
    import os
    real_in, real_out, real_err = sys.stdin, sys.stdout, sys.stderr
    for line in real_in:
        if not line.strip():
            continue
        req = json.loads(line)
        saved_env = {k: os.environ.get(k) for k in req.get("env", {})}
        os.environ.update(req.get("env", {}))
        out, err = io.BytesIO(), io.BytesIO()
        wrappers = (io.TextIOWrapper(io.BytesIO(b64decode(req.get("input", ""))), encoding="utf-8"),
                    io.TextIOWrapper(out, encoding="utf-8", write_through=True),
                    io.TextIOWrapper(err, encoding="utf-8", write_through=True))
        sys.stdin, sys.stdout, sys.stderr = wrappers
        try:
            if req.get("program") == "aws":
                from awscli.clidriver import create_clidriver
                code = create_clidriver().main(req["argv"])
            else:
                code = main(req["argv"])
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
        finally:
            sys.stdin, sys.stdout, sys.stderr = real_in, real_out, real_err
            for w in wrappers:
                w.flush()
                w.detach()  # a dropped wrapper would close the buffer it wraps
            for k, v in saved_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        real_out.write(json.dumps({"code": code, "stdout": b64encode(out.getvalue()).decode("ascii"),
                                   "stderr": err.getvalue().decode("utf-8", "replace")}) + "\n")
        real_out.flush()
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        sys.exit(serve())
    sys.exit(main(sys.argv[1:]))
