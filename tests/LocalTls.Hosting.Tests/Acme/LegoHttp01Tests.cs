using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using LocalTls.Pki;
using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.Acme;

/// <summary>
/// The seed's verification commands, automated: a real step-ca (see eng/build-step-ca.sh) resolving sslip.io names
/// through our <see cref="LocalTls.Sslip.SslipDnsServer"/>, and the real lego (Debian package) as an independent
/// ACME client solving HTTP-01 on 127.0.0.1:80. Everything stays on loopback. The tests share port 80, so they
/// are in one class (xunit runs a class's tests one at a time), and in the port-80 collection with the other tests
/// that listen there.
/// </summary>
[Collection(Port80.Collection)]
public partial class LegoHttp01Tests
{
    private const string IntermediateCommonName = "Local Development Intermediate CA";
    private static readonly TimeSpan LegoTimeout = TimeSpan.FromSeconds(60);

    private static void OutputHas(AcmeTestbed bed, LegoRun run, string expected) =>
        Assert.True(run.Output.Contains(expected, StringComparison.Ordinal), $"lego's output lacks '{expected}'. {bed.Describe(run)}");

    private static void OutputLacks(AcmeTestbed bed, LegoRun run, string unexpected) =>
        Assert.False(run.Output.Contains(unexpected, StringComparison.Ordinal), $"lego's output has '{unexpected}'. {bed.Describe(run)}");

    private static string[] SplitPem(string bundle) =>
        [.. CertificateBlock().Matches(bundle).Select(m => m.Value + "\n")];

    [Fact]
    public async Task Lego_gets_a_certificate_for_an_sslip_name_over_http01_that_chains_to_our_root()
    {
        const string domain = "app.127.0.0.1.sslip.io";
        var ct = TestContext.Current.CancellationToken;
        await using var bed = await AcmeTestbed.StartAsync(ct);

        // step-ca is up, serves ACME, and runs the CA we generated.
        Assert.True(await bed.Ca.IsHealthyAsync(ct), bed.LogTail());
        using var client = bed.Ca.CreateHttpClient();
        var health = await client.GetFromJsonAsync<JsonElement>($"https://127.0.0.1:{bed.Port}/health", ct);
        Assert.Equal("ok", health.GetProperty("status").GetString());
        var directory = await client.GetFromJsonAsync<JsonElement>(bed.DirectoryUrl, ct);
        Assert.Equal($"https://127.0.0.1:{bed.Port}/acme/acme/new-order", directory.GetProperty("newOrder").GetString());
        Assert.Equal(bed.Material.RootFingerprint, bed.Ca.RootFingerprint);
        Assert.Contains(bed.Log, l => l.Contains($"X.509 Root Fingerprint: {bed.Material.RootFingerprint}", StringComparison.Ordinal));
        Assert.Equal(IntermediateCommonName, bed.Material.IntermediateCommonName);

        Port80.RequireBindable();
        var path = bed.Temp.Combine("lego");
        var run = await bed.RunLegoAsync(domain, path, ["--http", "--http.port", "127.0.0.1:80"], LegoTimeout);

        Assert.True(run.ExitCode == 0, bed.Describe(run));
        OutputHas(bed, run, "The server validated our request");
        OutputHas(bed, run, "Server responded with a certificate");
        Assert.True(bed.Dns.AnsweredCount > 0, $"step-ca did not resolve {domain} through our DNS server (--resolver 127.0.0.1:{bed.Dns.Port}). {bed.Describe(run)}");

        // lego writes the leaf followed by the chain (here: our intermediate).
        var bundlePath = Path.Combine(path, "certificates", domain + ".crt");
        Assert.True(File.Exists(bundlePath), $"lego wrote no {bundlePath}. {bed.Describe(run)}");
        Assert.True(File.Exists(Path.Combine(path, "certificates", domain + ".key")));
        var pems = SplitPem(File.ReadAllText(bundlePath));
        Assert.True(pems.Length == 2, $"expected leaf + intermediate in {bundlePath}, found {pems.Length} certificates");
        Assert.Equal(bed.Material.IntermediateCertificatePem.Trim(), pems[1].Trim());
        var leaf = bed.Temp.Combine("leaf.pem");
        var intermediate = bed.Temp.Combine("intermediate.pem");
        var root = bed.Temp.Combine("root.pem");
        File.WriteAllText(leaf, pems[0]);
        File.WriteAllText(intermediate, pems[1]);
        File.WriteAllText(root, bed.Material.RootCertificatePem);

        // An independent look with OpenSSL.
        var openssl = Tool.Require("openssl", "openssl");
        var shown = await Tool.RunAsync(openssl, ["x509", "-in", leaf, "-noout", "-issuer", "-subject", "-ext", "subjectAltName", "-nameopt", "RFC2253"], timeout: TimeSpan.FromSeconds(30));
        Assert.True(shown.ExitCode == 0, shown.Output);
        Assert.Contains($"issuer=CN={IntermediateCommonName}", shown.Stdout);
        Assert.Contains($"DNS:{domain}", shown.Stdout);

        var verified = await Tool.RunAsync(openssl, ["verify", "-CAfile", root, "-untrusted", intermediate, "-purpose", "sslserver", "-verify_hostname", domain, leaf], timeout: TimeSpan.FromSeconds(30));
        Assert.True(verified.ExitCode == 0, $"openssl verify failed: {verified.Output}");
        Assert.Contains($"{leaf}: OK", verified.Stdout);

        // The same check against a stranger's root fails, so the one above means something.
        var stranger = bed.Temp.Combine("stranger.pem");
        File.WriteAllText(stranger, CaGenerator.Create(new CaOptions { RootCommonName = "Stranger Root" }).RootCertificatePem);
        var rejected = await Tool.RunAsync(openssl, ["verify", "-CAfile", stranger, "-untrusted", intermediate, leaf], timeout: TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, rejected.ExitCode);

        // step-ca logged the order, the validated challenge and the certificate it issued.
        var order = await bed.WaitForLogAsync(l => l.Contains("path=/acme/acme/new-order", StringComparison.Ordinal) && l.Contains(domain, StringComparison.Ordinal));
        Assert.True(order is not null, $"no new-order line in step-ca's log. {bed.LogTail()}");
        var challenge = await bed.WaitForLogAsync(l => l.Contains("path=/acme/acme/challenge/", StringComparison.Ordinal) && l.Contains("\\\"type\\\":\\\"http-01\\\",\\\"status\\\":\\\"valid\\\"", StringComparison.Ordinal));
        Assert.True(challenge is not null, $"no valid http-01 challenge in step-ca's log. {bed.LogTail()}");
        var issued = await bed.WaitForLogAsync(l => l.Contains($"subject={domain}", StringComparison.Ordinal) && l.Contains("provisioner=acme", StringComparison.Ordinal));
        Assert.True(issued is not null, $"no issued-certificate line in step-ca's log. {bed.LogTail()}");
        Assert.Contains($"issuer=\"{IntermediateCommonName}\"", issued);
    }

    [Fact]
    public async Task A_challenge_nobody_answers_stays_pending_in_step_ca_0_19_and_lego_waits_until_the_timeout()
    {
        // app.127.0.0.2.sslip.io resolves to 127.0.0.2, where nothing listens on port 80; lego's solver listens on
        // 127.0.0.1:80 only. step-ca 0.19.0 stores the connection error on the challenge but leaves it (and the
        // authorization) pending, and lego 4.9.1 polls a pending authorization for up to 100 x Retry-After (500 s):
        // the run never fails by itself, so it is bounded here and the pending state is read from step-ca's log.
        const string domain = "app.127.0.0.2.sslip.io";
        var ct = TestContext.Current.CancellationToken;
        await using var bed = await AcmeTestbed.StartAsync(ct);
        Port80.RequireBindable();
        Assert.False(await Port80.AcceptsAsync(IPAddress.Parse("127.0.0.2")), "Something accepts connections on 127.0.0.2:80 (perhaps a server on 0.0.0.0:80), so this challenge could validate; stop it and run the test again.");

        var path = bed.Temp.Combine("lego");
        var bound = TimeSpan.FromSeconds(15);
        var run = await bed.RunLegoAsync(domain, path, ["--http", "--http.port", "127.0.0.1:80"], bound);

        Assert.True(run.TimedOut, $"lego was expected to wait on the pending authorization until the {bound.TotalSeconds:0} s bound. {bed.Describe(run)}");
        Assert.InRange(run.Elapsed, bound, bound + TimeSpan.FromSeconds(10));
        OutputHas(bed, run, $"[{domain}] acme: Trying to solve HTTP-01");
        OutputLacks(bed, run, "Server responded with a certificate");
        Assert.False(Directory.Exists(Path.Combine(path, "certificates")) && Directory.EnumerateFiles(Path.Combine(path, "certificates"), "*.crt").Any(), bed.Describe(run));
        Assert.True(bed.Dns.AnsweredCount > 0, $"step-ca did not resolve {domain} through our DNS server. {bed.Describe(run)}");

        // step-ca's answer to the challenge request: still pending, with the connection problem attached.
        var challenge = await bed.WaitForLogAsync(l => l.Contains("path=/acme/acme/challenge/", StringComparison.Ordinal) && l.Contains("http-01", StringComparison.Ordinal));
        Assert.True(challenge is not null, $"no challenge request in step-ca's log. {bed.Describe(run)}");
        Assert.Contains("\\\"status\\\":\\\"pending\\\"", challenge);
        Assert.Contains("urn:ietf:params:acme:error:connection", challenge);
        Assert.Contains("The server could not connect to validation target", challenge);

        // lego kept asking for the authorization, and it stayed pending.
        var polls = bed.Log.Where(l => l.Contains("path=/acme/acme/authz/", StringComparison.Ordinal)).ToList();
        Assert.True(polls.Count >= 2, $"expected lego to poll the authorization more than once, saw {polls.Count}. {bed.Describe(run)}");
        Assert.All(polls, p => Assert.Contains("\\\"identifier\\\":{\\\"type\\\":\\\"dns\\\",\\\"value\\\":\\\"app.127.0.0.2.sslip.io\\\"},\\\"status\\\":\\\"pending\\\"", p));
    }

    [Fact]
    public async Task A_wrong_key_authorization_fails_at_once_with_the_acme_problem()
    {
        // A server on 127.0.0.1:80 answers every challenge with the wrong body; lego only writes the token into a
        // webroot nobody serves. step-ca 0.19.0 marks this challenge invalid (unlike a connection error), so lego
        // fails on its own with the problem step-ca reported.
        const string domain = "wrong.127.0.0.1.sslip.io";
        var ct = TestContext.Current.CancellationToken;
        await using var bed = await AcmeTestbed.StartAsync(ct);
        await using var server = WrongAnswerServer.Start();

        var path = bed.Temp.Combine("lego");
        var webroot = Directory.CreateDirectory(bed.Temp.Combine("webroot")).FullName;
        var run = await bed.RunLegoAsync(domain, path, ["--http", "--http.webroot", webroot], LegoTimeout);

        Assert.False(run.TimedOut, $"lego did not fail within {LegoTimeout.TotalSeconds:0} s. {bed.Describe(run)}");
        Assert.True(run.ExitCode != 0, bed.Describe(run));
        OutputHas(bed, run, "Could not obtain certificates");
        OutputHas(bed, run, $"[{domain}] acme: error:");
        OutputHas(bed, run, "urn:ietf:params:acme:error:rejectedIdentifier");
        OutputLacks(bed, run, "Server responded with a certificate");

        // step-ca fetched the token from our server under the name being validated.
        var request = Assert.Single(server.Requests);
        Assert.Matches(@"^GET /\.well-known/acme-challenge/[A-Za-z0-9_-]+ HTTP/1\.1 \| Host: wrong\.127\.0\.0\.1\.sslip\.io$", request);

        var challenge = await bed.WaitForLogAsync(l => l.Contains("path=/acme/acme/challenge/", StringComparison.Ordinal) && l.Contains("http-01", StringComparison.Ordinal));
        Assert.True(challenge is not null, $"no challenge request in step-ca's log. {bed.Describe(run)}");
        Assert.Contains("\\\"status\\\":\\\"invalid\\\"", challenge);
        Assert.Contains("urn:ietf:params:acme:error:rejectedIdentifier", challenge);
    }

    [GeneratedRegex("-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\\s]+?-----END CERTIFICATE-----")]
    private static partial Regex CertificateBlock();
}
