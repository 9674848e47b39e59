"""The local RFC 3161 TSA and the keep-alive client."""
from __future__ import annotations

import hashlib
import urllib.error
import urllib.request

import pytest
from asn1crypto import algos, tsp
from pyhanko.sign.timestamps import TimestampRequestError

from documents.settings import DocumentSettings
from documents.tsa import KeepAliveHTTPTimeStamper, LocalTsaServer, timestamper_for


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> DocumentSettings:
    return DocumentSettings(key_dir=tmp_path_factory.mktemp("pki"), key_passphrase="p")


def _request(data: bytes) -> tsp.TimeStampReq:
    imprint = tsp.MessageImprint({"hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                                  "hashed_message": hashlib.sha256(data).digest()})
    return tsp.TimeStampReq({"version": 1, "message_imprint": imprint, "nonce": 42, "cert_req": True})


def test_round_trip_over_one_kept_alive_connection(settings):
    with LocalTsaServer(settings) as server:
        client = KeepAliveHTTPTimeStamper(server.url)
        first = client.request_tsa_response(_request(b"a"))
        conn = client._local.conn
        second = client.request_tsa_response(_request(b"b"))
        assert client._local.conn is conn  # reused
    for response in (first, second):
        assert response["status"]["status"].native == "granted"
        info = response["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
        assert info["nonce"].native == 42
    assert info["message_imprint"]["hashed_message"].native == hashlib.sha256(b"b").digest()


def test_server_refuses_non_timestamp_requests(settings):
    with LocalTsaServer(settings) as server:
        req = urllib.request.Request(server.url, data=b"hello", headers={"Content-Type": "text/plain"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=5)
        assert err.value.code == 400
        bad = urllib.request.Request(server.url, data=b"\x30\x03\x02\x01",
                                     headers={"Content-Type": "application/timestamp-query"})
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(bad, timeout=5)


def test_unreachable_tsa_is_a_timestamp_error(settings):
    with LocalTsaServer(settings) as server:
        url = server.url
    with pytest.raises(TimestampRequestError):
        KeepAliveHTTPTimeStamper(url, timeout_s=2).request_tsa_response(_request(b"x"))


def test_timestamper_for_settings(settings):
    with pytest.raises(ValueError, match="no TSA"):
        timestamper_for(settings)
    from dataclasses import replace

    local = timestamper_for(replace(settings, tsa_url="local"))
    assert local is timestamper_for(replace(settings, tsa_url="local"))
    assert isinstance(timestamper_for(replace(settings, tsa_url="http://127.0.0.1:9/tsa")),
                      KeepAliveHTTPTimeStamper)
