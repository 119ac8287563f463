#!/usr/bin/python3
"""Known-answer SigV4 vectors produced by botocore (the authority for what awscli/boto3 send).

Run:  /usr/bin/python3 src/sigv4/testdata/gen_vectors.py > src/sigv4/testdata/botocore_vectors.json
      /usr/bin/python3 src/sigv4/testdata/gen_vectors.py --corpus src/sigv4/testdata/fuzz_corpus

Each vector is the request exactly as it would appear on the wire: method, request-target (path?query,
still percent-encoded), headers (botocore's plus the Host and Content-Length the HTTP client adds) and
body, together with the credentials, scope and the fixed clock that signed it. sigv4_test feeds them to
tenet::sigv4::verify(); --corpus writes the same requests as raw HTTP/1.1 seeds for sigv4_fuzz.
"""
import datetime
import json
import os
import sys
from unittest import mock
from urllib.parse import urlsplit

import botocore
import botocore.auth
from botocore.auth import SigV4Auth, SigV4QueryAuth, _host_from_url
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

FIXED = datetime.datetime(2026, 11, 25, 7, 0, 0)
FIXED_UNIX = 1795590000  # 2026-11-25T07:00:00Z
assert int(FIXED.replace(tzinfo=datetime.timezone.utc).timestamp()) == FIXED_UNIX

AKID = 'AKIDEXAMPLETENET0001'
SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
TEMP_AKID = 'ASIATEMPEXAMPLE00001'
TEMP_SECRET = 'TempSecretKeyExample/+0123456789abcdefgh'
TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+token=='


class FixedDateTime(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return cls(FIXED.year, FIXED.month, FIXED.day, FIXED.hour, FIXED.minute, FIXED.second)


def wire_target(url):
    p = urlsplit(url)
    return p.path + ('?' + p.query if p.query else '')


def header_vector(name, method, url, headers, body, service, region='us-east-1', token=False):
    creds = Credentials(TEMP_AKID, TEMP_SECRET, TOKEN) if token else Credentials(AKID, SECRET)
    req = AWSRequest(method=method, url=url, headers=dict(headers), data=body)
    with mock.patch.object(botocore.auth.datetime, 'datetime', FixedDateTime):
        SigV4Auth(creds, service, region).add_auth(req)
    wire = [[k, v] for k, v in req.headers.items()]
    wire.append(['Host', _host_from_url(url)])
    wire.append(['User-Agent', 'Botocore/' + botocore.__version__])  # added unsigned by the client
    if body:
        wire.append(['Content-Length', str(len(body))])
    return {
        'name': name, 'presigned': False, 'method': method, 'target': wire_target(req.url),
        'headers': wire, 'body': body.decode() if isinstance(body, bytes) else body,
        'access_key_id': creds.access_key, 'secret_access_key': creds.secret_key,
        'session_token': creds.token or '', 'region': region, 'service': service, 'now': FIXED_UNIX,
    }


def presign_vector(name, url, service, region='us-east-1', expires=3600, token=None, token_after=False):
    if token and not token_after:
        creds = Credentials(TEMP_AKID, TEMP_SECRET, token)
    elif token:
        creds = Credentials(TEMP_AKID, TEMP_SECRET)  # IoT SDK style: sign first, append token after
    else:
        creds = Credentials(AKID, SECRET)
    req = AWSRequest(method='GET', url=url, headers={})
    with mock.patch.object(botocore.auth.datetime, 'datetime', FixedDateTime):
        SigV4QueryAuth(creds, service, region, expires=expires).add_auth(req)
    final_url = req.url
    if token and token_after:
        final_url += '&X-Amz-Security-Token=' + botocore.utils.percent_encode(token)
    return {
        'name': name, 'presigned': True, 'method': 'GET', 'target': wire_target(final_url),
        'headers': [['Host', _host_from_url(url)], ['Connection', 'Upgrade'], ['Upgrade', 'websocket']],
        'body': '', 'access_key_id': creds.access_key, 'secret_access_key': creds.secret_key,
        'session_token': token or '', 'region': region, 'service': service, 'now': FIXED_UNIX,
    }


def vectors():
    ep = 'https://iot.us-east-1.amazonaws.com'
    data = 'https://data-ats.iot.us-east-1.amazonaws.com'
    return [
        header_vector('describe_endpoint', 'GET', ep + '/endpoint?endpointType=iot%3AData-ATS', {}, b'', 'iot'),
        header_vector('describe_thing_colon', 'GET', ep + '/things/a%3Ab', {}, b'', 'iot'),
        header_vector('publish_encoded_slash', 'POST', data + '/topics/x%2Fy?qos=1',
                      {'Content-Type': 'application/octet-stream'}, b'{"temp": 21}', 'iotdata'),
        header_vector('create_thing_json', 'POST', ep + '/things/thing-1',
                      {'Content-Type': 'application/json'},
                      b'{"attributePayload": {"attributes": {"room": "k\\u00fcche 1"}}}', 'iot'),
        header_vector('session_token', 'GET', ep + '/things?maxResults=10&nextToken=a%2Bb%20c', {}, b'', 'iot',
                      token=True),
        header_vector('non_default_port', 'DELETE', 'https://localhost:8443/things/thing-1?expectedVersion=3',
                      {}, b'', 'iot', region='eu-west-1'),
        header_vector('dot_segments_and_repeated_keys', 'GET', ep + '/a/./b/../things//x/?b=2&a=2&a=1&flag',
                      {'X-Custom': '  two   spaces\tand tab  '}, b'', 'iot'),
        header_vector('date_header_fallback', 'GET', ep + '/things/%24next', {'Date': 'placeholder'}, b'', 'iot'),
        header_vector('tunneling_mixed_case_service', 'POST', 'https://api.tunneling.iot.us-east-1.amazonaws.com/',
                      {'Content-Type': 'application/x-amz-json-1.1',
                       'X-Amz-Target': 'IoTSecuredTunneling.ListTunnels'}, b'{}', 'IoTSecuredTunneling'),
        presign_vector('presigned_mqtt', 'https://data-ats.iot.us-east-1.amazonaws.com/mqtt', 'iotdevicegateway'),
        presign_vector('presigned_mqtt_token_signed', 'https://localhost:8443/mqtt', 'iotdevicegateway',
                       expires=300, token=TOKEN),
        presign_vector('presigned_mqtt_token_after', 'https://localhost:8443/mqtt', 'iotdevicegateway',
                       expires=86400, token=TOKEN, token_after=True),
    ]


def raw_http(v):
    lines = [f"{v['method']} {v['target']} HTTP/1.1"] + [f'{k}: {val}' for k, val in v['headers']]
    return ('\r\n'.join(lines) + '\r\n\r\n' + v['body']).encode()


def main():
    vs = vectors()
    if len(sys.argv) == 3 and sys.argv[1] == '--corpus':
        seeds = {v['name']: raw_http(v) for v in vs}
        good = seeds['publish_encoded_slash']
        # Broken variants, so the fuzzer starts from each failure path too.
        seeds['broken_tampered_body'] = good.replace(b'21}', b'22}')
        seeds['broken_no_host_signed'] = good.replace(b'SignedHeaders=content-type;host;', b'SignedHeaders=content-type;')
        seeds['broken_auth_truncated'] = good[:good.index(b', Signature=')] + b'\r\n\r\n'
        seeds['broken_two_auth_headers'] = good.replace(b'Authorization:', b'Authorization: x\r\nAuthorization:', 1)
        seeds['broken_presigned_bad_expires'] = seeds['presigned_mqtt'].replace(b'X-Amz-Expires=3600',
                                                                               b'X-Amz-Expires=99999999999')
        seeds['broken_presigned_token_tampered'] = seeds['presigned_mqtt_token_after'].replace(b'token%3D%3D', b'tok')
        seeds['broken_bare_lf_unknown_key'] = seeds['describe_endpoint'].replace(b'\r\n', b'\n').replace(
            b'AKIDEXAMPLETENET0001', b'AKIDINACTIVE00000000')
        for name, data in seeds.items():
            with open(os.path.join(sys.argv[2], name + '.http'), 'wb') as f:
                f.write(data)
        return
    json.dump({'generator': 'botocore ' + botocore.__version__, 'vectors': vs}, sys.stdout, indent=1)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
