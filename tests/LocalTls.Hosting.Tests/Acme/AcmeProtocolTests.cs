using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using LocalTls.Acme;
using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.Acme;

/// <summary>The ACME building blocks without a server: encodings, JWK thumbprints, JWS, key authorizations, Retry-After, problem documents, CSRs and the http-01 listener.</summary>
public partial class AcmeProtocolTests
{
    // RFC 7638 §3.1: the RSA key of RFC 7517 Appendix A.1 and its SHA-256 thumbprint.
    private const string Rfc7638Modulus =
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

    private const string Rfc7638Thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

    [Fact]
    public void The_rsa_jwk_thumbprint_is_the_one_in_rfc_7638()
    {
        var jwk = Jwk.Rsa(Base64Url.Decode("AQAB"), Base64Url.Decode(Rfc7638Modulus));

        Assert.Equal($"{{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"{Rfc7638Modulus}\"}}", jwk);
        Assert.Equal(Rfc7638Thumbprint, Jwk.Thumbprint(jwk));
        // A leading zero byte (as some encoders keep for the sign) does not change the key's JWK.
        Assert.Equal(jwk, Jwk.Rsa([0, 1, 0, 1], [0, .. Base64Url.Decode(Rfc7638Modulus)]));
    }

    [Fact]
    public void The_ec_jwk_has_the_canonical_form_of_rfc_7638_and_its_thumbprint()
    {
        // The EC key of RFC 7517 Appendix A.1; the canonical form takes crv, kty, x, y in that order, no white space.
        var x = Base64Url.Decode("MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4");
        var y = Base64Url.Decode("4Etl6SRW2YilurN5VifEaoAwqY8Y9sFE6g4ey3lzSRI");
        var jwk = Jwk.Ec("P-256", x, y);

        Assert.Equal("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\",\"y\":\"4Etl6SRW2YilurN5VifEaoAwqY8Y9sFE6g4ey3lzSRI\"}", jwk);
        Assert.Equal("UI3vp9iwfYGprIrC0kKhVOsJf_ZDWRYQ2PvzS4y7hQ8", Jwk.Thumbprint(jwk));
    }

    [Fact]
    public void A_new_account_key_is_p256_with_a_canonical_jwk_whose_hash_is_the_thumbprint()
    {
        for (var i = 0; i < 20; i++)
        {
            using var key = AcmeAccountKey.Create();
            Assert.Equal("ES256", key.Algorithm);
            Assert.Matches(CanonicalEcJwk(), key.JwkJson);
            Assert.Equal(Base64Url.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(key.JwkJson))), key.Thumbprint);
            Assert.Matches("^[A-Za-z0-9_-]{43}$", key.Thumbprint);

            // The coordinates are the key's own, 32 bytes each (leading zeros kept, as RFC 7518 §6.2.1.2 wants).
            using var document = JsonDocument.Parse(key.JwkJson);
            using var reread = AcmeAccountKey.FromPem(key.ExportPem());
            Assert.Equal(key.Thumbprint, reread.Thumbprint);
            Assert.Equal(32, Base64Url.Decode(document.RootElement.GetProperty("x").GetString()!).Length);
        }
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("f", "Zg")]
    [InlineData("fo", "Zm8")]
    [InlineData("foo", "Zm9v")]
    [InlineData("foob", "Zm9vYg")]
    [InlineData("fooba", "Zm9vYmE")]
    [InlineData("foobar", "Zm9vYmFy")]
    public void Base64url_matches_the_rfc_4648_vectors_without_padding(string text, string encoded)
    {
        Assert.Equal(encoded, Base64Url.Encode(Encoding.ASCII.GetBytes(text)));
        Assert.Equal(text, Encoding.ASCII.GetString(Base64Url.Decode(encoded)));
    }

    [Fact]
    public void Base64url_uses_the_url_alphabet_and_round_trips_any_bytes()
    {
        Assert.Equal("-_8", Base64Url.Encode([0xfb, 0xff]));
        Assert.Equal([0xfb, 0xff], Base64Url.Decode("-_8"));
        Assert.Equal([0xfb, 0xff], Base64Url.Decode("-_8="));
        Assert.Throws<FormatException>(() => Base64Url.Decode("+/8"));
        Assert.Throws<FormatException>(() => Base64Url.Decode("abcde"));

        var random = new Random(7638);
        for (var i = 0; i < 500; i++)
        {
            var bytes = new byte[random.Next(0, 70)];
            random.NextBytes(bytes);
            var encoded = Base64Url.Encode(bytes);
            Assert.Matches("^[A-Za-z0-9_-]*$", encoded);
            Assert.Equal((bytes.Length * 4 + 2) / 3, encoded.Length);
            Assert.Equal(bytes, Base64Url.Decode(encoded));
        }
    }

    [Fact]
    public void The_key_authorization_is_token_dot_thumbprint_and_the_dns01_value_its_hash()
    {
        using var key = AcmeAccountKey.Create();
        Assert.Equal("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA." + key.Thumbprint, key.GetKeyAuthorization("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"));

        // base64url(SHA-256("token123." + the RFC 7638 thumbprint)), computed independently.
        Assert.Equal("ucgDKdGKTubsbS21tm6xYNHc_BmKAOs1qLr6EMkuA30", AcmeAccountKey.GetDns01Value("token123." + Rfc7638Thumbprint));
        var value = AcmeAccountKey.GetDns01Value(key.GetKeyAuthorization("abc"));
        Assert.Equal(Base64Url.Encode(SHA256.HashData(Encoding.ASCII.GetBytes("abc." + key.Thumbprint))), value);
        Assert.Equal(43, value.Length);
        Assert.Throws<ArgumentException>(() => key.GetKeyAuthorization(""));
    }

    [Fact]
    public void A_jws_for_new_account_carries_the_jwk_and_later_ones_the_kid_and_both_verify()
    {
        using var key = AcmeAccountKey.Create();
        using var verifier = ECDsa.Create();
        verifier.ImportFromPem(key.ExportPem());
        var url = new Uri("https://127.0.0.1:9000/acme/acme/new-account");

        var withJwk = Parse(AcmeJws.Sign(key, url, "nonce-1", Encoding.UTF8.GetBytes("{\"termsOfServiceAgreed\":true}"), keyId: null));
        Assert.Equal("ES256", withJwk.Header.GetProperty("alg").GetString());
        Assert.Equal("nonce-1", withJwk.Header.GetProperty("nonce").GetString());
        Assert.Equal(url.AbsoluteUri, withJwk.Header.GetProperty("url").GetString());
        Assert.Equal(key.JwkJson, withJwk.Header.GetProperty("jwk").GetRawText());
        Assert.False(withJwk.Header.TryGetProperty("kid", out _));
        Assert.Equal("{\"termsOfServiceAgreed\":true}", Encoding.UTF8.GetString(Base64Url.Decode(withJwk.Payload)));
        Assert.Equal(64, Base64Url.Decode(withJwk.Signature).Length);
        Assert.True(verifier.VerifyData(Encoding.ASCII.GetBytes(withJwk.Protected + "." + withJwk.Payload), Base64Url.Decode(withJwk.Signature), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));

        var postAsGet = Parse(AcmeJws.Sign(key, url, "nonce-2", payload: null, keyId: "https://127.0.0.1:9000/acme/acme/account/abc"));
        Assert.Equal("https://127.0.0.1:9000/acme/acme/account/abc", postAsGet.Header.GetProperty("kid").GetString());
        Assert.False(postAsGet.Header.TryGetProperty("jwk", out _));
        Assert.Equal("", postAsGet.Payload);
        Assert.True(verifier.VerifyData(Encoding.ASCII.GetBytes(postAsGet.Protected + "."), Base64Url.Decode(postAsGet.Signature), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    [Fact]
    public void Rsa_and_p384_account_keys_sign_with_rs256_and_es384()
    {
        using var rsa = RSA.Create(2048);
        using var rsaKey = AcmeAccountKey.FromPem(rsa.ExportPkcs8PrivateKeyPem());
        Assert.Equal("RS256", rsaKey.Algorithm);
        Assert.StartsWith("{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"", rsaKey.JwkJson);
        var jws = Parse(AcmeJws.Sign(rsaKey, new Uri("https://ca/x"), "n", [], "kid"));
        Assert.True(rsa.VerifyData(Encoding.ASCII.GetBytes(jws.Protected + "." + jws.Payload), Base64Url.Decode(jws.Signature), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var p384Key = AcmeAccountKey.FromPem(p384.ExportECPrivateKeyPem());
        Assert.Equal("ES384", p384Key.Algorithm);
        Assert.StartsWith("{\"crv\":\"P-384\",\"kty\":\"EC\"", p384Key.JwkJson);
        var signed = Parse(AcmeJws.Sign(p384Key, new Uri("https://ca/x"), "n", null, "kid"));
        Assert.Equal(96, Base64Url.Decode(signed.Signature).Length);
        Assert.True(p384.VerifyData(Encoding.ASCII.GetBytes(signed.Protected + "."), Base64Url.Decode(signed.Signature), HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));

        using var small = RSA.Create(1024);
        Assert.Contains("at least 2048 bits", Assert.Throws<ArgumentException>(() => AcmeAccountKey.FromPem(small.ExportPkcs8PrivateKeyPem())).Message);
        Assert.Contains("not an unencrypted ECDSA or RSA private key", Assert.Throws<ArgumentException>(() => AcmeAccountKey.FromPem("hello")).Message);
    }

    [Fact]
    public void The_account_key_is_created_once_with_mode_0600_and_read_back_after()
    {
        using var temp = new TempDirectory("acme-key");
        var path = AcmeAccountKey.DefaultPath(temp.Path, new Uri("https://127.0.0.1:9000/acme/acme/directory"));
        Assert.Equal(Path.Combine(temp.Path, "acme", "127.0.0.1-9000", "account.key"), path);
        Assert.Equal(Path.Combine(temp.Path, "acme", "__1-9000", "account.key"), AcmeAccountKey.DefaultPath(temp.Path, new Uri("https://[::1]:9000/acme/acme/directory")));

        using var created = AcmeAccountKey.LoadOrCreate(path, out var wasCreated);
        using var loaded = AcmeAccountKey.LoadOrCreate(path, out var wasCreatedAgain);

        Assert.True(wasCreated);
        Assert.False(wasCreatedAgain);
        Assert.Equal(created.Thumbprint, loaded.Thumbprint);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        File.WriteAllText(path, "not a key");
        var e = Assert.Throws<ArgumentException>(() => AcmeAccountKey.LoadOrCreate(path, out _));
        Assert.StartsWith(path + ": ", e.Message);
    }

    [Theory]
    [InlineData("120", 120)]
    [InlineData(" 0 ", 0)]
    [InlineData("Wed, 21 Oct 2015 07:28:30 GMT", 30)]
    [InlineData("Wednesday, 21-Oct-15 07:29:00 GMT", 60)]
    [InlineData("Wed Oct 21 07:28:05 2015", 5)]
    [InlineData("Wed, 21 Oct 2015 07:00:00 GMT", 0)]
    public void Retry_after_reads_seconds_and_http_dates(string value, int seconds)
    {
        var now = new DateTimeOffset(2015, 10, 21, 7, 28, 0, TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromSeconds(seconds), AcmeRetryAfter.Parse(value, now));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("1.5")]
    public void Retry_after_that_is_missing_or_unreadable_is_null(string? value) =>
        Assert.Null(AcmeRetryAfter.Parse(value, DateTimeOffset.UtcNow));

    [Fact]
    public void Retry_after_with_huge_seconds_is_capped_at_a_day() =>
        Assert.Equal(TimeSpan.FromDays(1), AcmeRetryAfter.Parse("99999999999999999999999", DateTimeOffset.UtcNow));

    [Fact]
    public void A_problem_document_with_subproblems_is_read_as_rfc_8555_shows_it()
    {
        // RFC 8555 §6.7.1.
        const string json = """
            {
                "type": "urn:ietf:params:acme:error:malformed",
                "detail": "Some of the identifiers requested were rejected",
                "subproblems": [
                    {
                        "type": "urn:ietf:params:acme:error:malformed",
                        "detail": "Invalid underscore in DNS name \"_example.org\"",
                        "identifier": { "type": "dns", "value": "_example.org" }
                    },
                    {
                        "type": "urn:ietf:params:acme:error:rejectedIdentifier",
                        "detail": "This CA will not issue for \"example.net\"",
                        "identifier": { "type": "dns", "value": "example.net" }
                    }
                ]
            }
            """;

        var problem = AcmeProblem.Parse(json, HttpStatusCode.Forbidden);

        Assert.Equal(AcmeProblem.Malformed, problem.Type);
        Assert.Equal("malformed", problem.ShortType);
        Assert.Equal("Some of the identifiers requested were rejected", problem.Detail);
        Assert.Equal(403, problem.Status);
        Assert.Equal(2, problem.Subproblems.Count);
        Assert.Equal(new AcmeIdentifier("dns", "example.net"), problem.Subproblems[1].Identifier);
        Assert.Equal(AcmeProblem.RejectedIdentifier, problem.Subproblems[1].Type);
        Assert.Equal(
            "Some of the identifiers requested were rejected (urn:ietf:params:acme:error:malformed); _example.org: Invalid underscore in DNS name \"_example.org\" (urn:ietf:params:acme:error:malformed); example.net: This CA will not issue for \"example.net\" (urn:ietf:params:acme:error:rejectedIdentifier)",
            problem.ToString());
    }

    [Fact]
    public void A_problem_document_as_step_ca_writes_it_and_bodies_that_are_not_one()
    {
        var stepCa = AcmeProblem.Parse("{\"type\":\"urn:ietf:params:acme:error:badNonce\",\"detail\":\"Unacceptable anti-replay nonce\"}", HttpStatusCode.BadRequest);
        Assert.Equal(AcmeProblem.BadNonce, stepCa.Type);
        Assert.Equal(400, stepCa.Status);
        Assert.Empty(stepCa.Subproblems);
        Assert.Null(stepCa.Identifier);

        var withStatus = AcmeProblem.Parse("{\"type\":\"urn:ietf:params:acme:error:serverInternal\",\"status\":500}", HttpStatusCode.BadRequest);
        Assert.Equal(500, withStatus.Status);
        Assert.Equal("(no detail) (urn:ietf:params:acme:error:serverInternal)", withStatus.ToString());

        var html = AcmeProblem.Parse("<html>Bad Gateway</html>", HttpStatusCode.BadGateway);
        Assert.Equal("about:blank", html.Type);
        Assert.Equal("<html>Bad Gateway</html>", html.Detail);
        Assert.Equal("about:blank", AcmeProblem.Parse("{\"detail\":\"no type\"}").Type);
        Assert.Equal("about:blank", AcmeProblem.Parse("[1,2]").Type);
        Assert.Empty(AcmeProblem.Parse("{\"type\":\"x\",\"subproblems\":\"not a list\"}").Subproblems);
    }

    [Theory]
    [InlineData("App.127.0.0.1.sslip.io.", "dns", "app.127.0.0.1.sslip.io")]
    [InlineData("*.127.0.0.1.sslip.io", "dns", "*.127.0.0.1.sslip.io")]
    [InlineData("127.0.0.1", "ip", "127.0.0.1")]
    [InlineData("::1", "ip", "::1")]
    [InlineData("[::1]", "ip", "::1")]
    [InlineData("10", "dns", "10")]
    public void Names_become_dns_or_ip_identifiers(string name, string type, string value) =>
        Assert.Equal(new AcmeIdentifier(type, value), AcmeIdentifier.For(name));

    [Fact]
    public void The_csr_names_every_identifier_and_is_signed_by_the_new_key()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var der = AcmeClient.CreateCsr([AcmeIdentifier.For("*.127.0.0.1.sslip.io"), AcmeIdentifier.For("127.0.0.1.sslip.io"), AcmeIdentifier.For("127.0.0.1")], key);

        var csr = CertificateRequest.LoadSigningRequest(der, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        Assert.Equal("CN=*.127.0.0.1.sslip.io", csr.SubjectName.Name);
        var san = new X509SubjectAlternativeNameExtension(csr.CertificateExtensions.Single(e => e.Oid!.Value == "2.5.29.17").RawData);
        Assert.Equal(["*.127.0.0.1.sslip.io", "127.0.0.1.sslip.io"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback], san.EnumerateIPAddresses());
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), csr.PublicKey.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public async Task The_http01_server_answers_known_tokens_and_404_otherwise()
    {
        await using var server = Http01ChallengeServer.Start(new IPEndPoint(IPAddress.Loopback, 0));
        server.Add("tok-1", "tok-1.thumb");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.EndPoint.Port}") };
        var ct = TestContext.Current.CancellationToken;

        using var found = await client.GetAsync("/.well-known/acme-challenge/tok-1", ct);
        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.Equal("tok-1.thumb", await found.Content.ReadAsStringAsync(ct));
        using var missing = await client.GetAsync("/.well-known/acme-challenge/other", ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var elsewhere = await client.GetAsync("/tok-1", ct);
        Assert.Equal(HttpStatusCode.NotFound, elsewhere.StatusCode);
        using var post = await client.PostAsync("/.well-known/acme-challenge/tok-1", new StringContent("x"), ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/.well-known/acme-challenge/tok-1"), ct);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(11, head.Content.Headers.ContentLength);

        Assert.True(server.Remove("tok-1"));
        using var removed = await client.GetAsync("/.well-known/acme-challenge/tok-1", ct);
        Assert.Equal(HttpStatusCode.NotFound, removed.StatusCode);
        Assert.Equal(2, server.AnsweredCount);
        Assert.Equal(6, server.RequestCount);
    }

    [Fact]
    public async Task The_http01_server_says_what_to_do_when_its_port_is_taken()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var endPoint = (IPEndPoint)taken.LocalEndpoint;

        var e = Assert.Throws<InvalidOperationException>(() => Http01ChallengeServer.Start(endPoint));
        Assert.Contains($"Cannot listen on {endPoint} for http-01: another process already uses it", e.Message);
        Assert.Contains("--challenge dns-01", e.Message);
        Assert.False(Http01ChallengeServer.CanBind(endPoint, out var reason));
        Assert.Equal(e.Message, reason);

        // Once free, it binds; disposing releases the port again.
        taken.Stop();
        await using (Http01ChallengeServer.Start(endPoint))
        {
            Assert.False(Http01ChallengeServer.CanBind(endPoint, out _));
        }

        Assert.True(Http01ChallengeServer.CanBind(endPoint, out _));
    }

    [Fact]
    public void The_client_wants_an_absolute_directory_url_and_a_positive_timeout()
    {
        using var key = AcmeAccountKey.Create();
        Assert.Contains("is not an ACME directory URL", Assert.Throws<ArgumentException>(() => new AcmeClient(new Uri("/acme/acme/directory", UriKind.Relative), key)).Message);
        Assert.Contains("is not an ACME directory URL", Assert.Throws<ArgumentException>(() => new AcmeClient(new Uri("ftp://127.0.0.1/x"), key)).Message);
        Assert.Contains("no '-----BEGIN CERTIFICATE-----' block", Assert.Throws<ArgumentException>(() => AcmeClient.CreateHandler("nothing")).Message);
    }

    private static (JsonElement Header, string Protected, string Payload, string Signature) Parse(byte[] jws)
    {
        using var document = JsonDocument.Parse(jws);
        var root = document.RootElement;
        Assert.Equal(["protected", "payload", "signature"], root.EnumerateObject().Select(p => p.Name));
        var protectedHeader = root.GetProperty("protected").GetString()!;
        var header = JsonDocument.Parse(Base64Url.Decode(protectedHeader)).RootElement.Clone();
        return (header, protectedHeader, root.GetProperty("payload").GetString()!, root.GetProperty("signature").GetString()!);
    }

    [GeneratedRegex("^\\{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"[A-Za-z0-9_-]{43}\",\"y\":\"[A-Za-z0-9_-]{43}\"\\}$")]
    private static partial Regex CanonicalEcJwk();
}
