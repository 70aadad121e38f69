using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using LocalTls.Cli;
using LocalTls.StepCa;
using LocalTls.Tests.Acme;
using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.Cli;

/// <summary><c>localtls acme issue</c>: end to end against the real step-ca, and what it says about bad input.</summary>
public class AcmeCommandTests
{
    internal static Task<CliResult> RunAsync(params string[] args) => Task.Run(() => LocalTlsCli.Run(args));

    [Fact]
    public async Task Issue_over_dns01_writes_the_chain_and_a_0600_key_and_reuses_the_account()
    {
        var ct = TestContext.Current.CancellationToken;
        var dnsPort = FreeUdpAndTcpPort();
        await using var bed = await AcmeTestbed.StartAsync(ct, resolverPort: dnsPort);
        var root = bed.Temp.Combine("root.pem");
        File.WriteAllText(root, bed.Material.RootCertificatePem);
        var outDir = bed.Temp.Combine("out");
        var caroot = bed.Temp.Combine("caroot");
        string[] common = ["acme", "issue", "--server", bed.DirectoryUrl, "--ca-bundle", root, "--dns-listen", $"127.0.0.1:{dnsPort}", "--caroot", caroot, "--out", outDir, "--timeout", "30s"];

        var result = await RunAsync([.. common, "--challenge", "dns-01", "--name", "cli.127.0.0.1.sslip.io", "--name", "other.127.0.0.1.sslip.io"]);

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\n{result.Stdout}\n{result.Stderr}\n{bed.LogTail()}");
        var crt = Path.Combine(outDir, "cli.127.0.0.1.sslip.io.crt");
        var key = Path.Combine(outDir, "cli.127.0.0.1.sslip.io.key");
        Assert.Contains($"Answering dns-01 TXT lookups on 127.0.0.1:{dnsPort}: step-ca must resolve through it (start step-ca with --resolver 127.0.0.1:{dnsPort}).", result.Stdout);
        Assert.Contains("Issued a certificate for cli.127.0.0.1.sslip.io, other.127.0.0.1.sslip.io over dns-01", result.Stdout);
        Assert.Contains($"  certificate: {crt} (leaf + 1 intermediate)", result.Stdout);
        Assert.Contains($"  key:         {key} (mode 0600)", result.Stdout);
        Assert.Contains($"account key {Path.Combine(caroot, "acme", $"127.0.0.1-{bed.Port}", "account.key")} (new)", result.Stdout);
        Assert.Equal("", result.Stderr);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        }

        using var leaf = X509Certificate2.CreateFromPemFile(crt, key);
        Assert.Equal(["cli.127.0.0.1.sslip.io", "other.127.0.0.1.sslip.io"], leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
        var openssl = Tool.Require("openssl", "openssl");
        var verified = await Tool.RunAsync(openssl, ["verify", "-CAfile", root, "-untrusted", crt, "-verify_hostname", "other.127.0.0.1.sslip.io", crt], timeout: TimeSpan.FromSeconds(30));
        Assert.True(verified.ExitCode == 0, verified.Output);

        // A wildcard with the automatic choice goes to dns-01, and the stored account key is reused.
        var wildcard = await RunAsync([.. common, "--lifetime", "1h", "--name", "*.127.0.0.1.sslip.io"]);
        Assert.True(wildcard.ExitCode == 0, $"exit {wildcard.ExitCode}\n{wildcard.Stdout}\n{wildcard.Stderr}\n{bed.LogTail()}");
        Assert.Contains("Using dns-01: *.127.0.0.1.sslip.io is a wildcard, which only dns-01 can validate.", wildcard.Stdout);
        Assert.DoesNotContain("(new)", wildcard.Stdout);
        Assert.Equal(AccountLine(result.Stdout), AccountLine(wildcard.Stdout));
        Assert.True(File.Exists(Path.Combine(outDir, "_.127.0.0.1.sslip.io.crt")));
        using var wild = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(outDir, "_.127.0.0.1.sslip.io.crt")));
        Assert.InRange(wild.NotAfter.ToUniversalTime() - DateTime.UtcNow, TimeSpan.FromMinutes(55), TimeSpan.FromMinutes(61));
    }

    [Fact]
    public async Task An_unreachable_server_exits_4_with_the_connection_error()
    {
        var port = LoopbackPort.GetFree();
        using var temp = new TempDirectory("acme-cli");

        var result = await RunAsync("acme", "issue", "--server", $"https://127.0.0.1:{port}/acme/acme/directory", "--name", "x.127.0.0.1.sslip.io",
            "--challenge", "dns-01", "--dns-listen", "127.0.0.1:0", "--caroot", temp.Path, "--out", temp.Combine("out"));

        Assert.Equal(ExitCodes.Acme, result.ExitCode);
        Assert.Contains($"error: Could not reach the ACME server at 127.0.0.1:{port}", result.Stderr);
        Assert.Contains("Check that step-ca is running", result.Stderr);
        Assert.False(Directory.Exists(temp.Combine("out")));
    }

    [Theory]
    [InlineData("--server|not a url|--name|a.127.0.0.1.sslip.io|--out|OUT", "--server 'not a url' is not an http(s) URL")]
    [InlineData("--server|ftp://127.0.0.1/acme|--name|a.127.0.0.1.sslip.io|--out|OUT", "--server 'ftp://127.0.0.1/acme' is not an http(s) URL")]
    [InlineData("--name|a.127.0.0.1.sslip.io|--out|OUT", "--server is missing")]
    [InlineData("--server|https://127.0.0.1:9/acme/acme/directory|--out|OUT", "--name is missing: give at least one name")]
    [InlineData("--server|https://127.0.0.1:9/acme/acme/directory|--name|a.127.0.0.1.sslip.io|--challenge|tls-alpn-01|--out|OUT", "--challenge 'tls-alpn-01' is not a challenge type this command solves: give http-01, dns-01 or auto.")]
    [InlineData("--server|https://127.0.0.1:9/acme/acme/directory|--name|a.127.0.0.1.sslip.io", "--out is missing")]
    [InlineData("--server|https://127.0.0.1:9/acme/acme/directory|--name|a.127.0.0.1.sslip.io|--timeout|soon|--out|OUT", "--timeout 'soon' is not a positive duration")]
    [InlineData("--server|https://127.0.0.1:9/acme/acme/directory|--name|a.127.0.0.1.sslip.io|--timeout|0s|--out|OUT", "--timeout '0s' is not a positive duration")]
    [InlineData("--server|https://127.0.0.1:9/acme/acme/directory|--name|a_b.sslip.io|--out|OUT", "--name 'a_b.sslip.io' is not a host name")]
    [InlineData("--server|https://127.0.0.1:9/acme/acme/directory|--name|*.127.0.0.1.sslip.io|--challenge|http-01|--out|OUT", "--name *.127.0.0.1.sslip.io is a wildcard, which only dns-01 can validate")]
    [InlineData("--server|https://127.0.0.1:9/acme/acme/directory|--name|a.127.0.0.1.sslip.io|--dns-listen|53|--out|OUT", "--dns-listen '53' is not an address:port")]
    [InlineData("--server|https://127.0.0.1:9/acme/acme/directory|--name|app-1.127.0.0.1.sslip.io|--challenge|http-01|--out|OUT", "--name app-1.127.0.0.1.sslip.io cannot be validated over http-01, because the CA could not resolve it: 'app-1.127.0.0.1.sslip.io' is not usable: sslip.io resolves it to 1.127.0.0")]
    [InlineData("--server|https://127.0.0.1:9/acme/acme/directory|--name|a.127.0.0.1.sslip.io|--ca-bundle|MISSING|--out|OUT", "--ca-bundle MISSING")]
    public async Task Bad_input_exits_2_with_what_to_write(string args, string expected)
    {
        using var temp = new TempDirectory("acme-cli");
        var words = args.Split('|').Select(a => a.Replace("OUT", temp.Combine("out"), StringComparison.Ordinal).Replace("MISSING", temp.Combine("missing.pem"), StringComparison.Ordinal));

        var result = await RunAsync(["acme", "issue", "--caroot", temp.Path, .. words]);

        Assert.True(result.ExitCode == ExitCodes.BadInput, $"exit {result.ExitCode}\n{result.Stdout}\n{result.Stderr}");
        Assert.Contains("error: " + expected.Replace("MISSING", temp.Combine("missing.pem"), StringComparison.Ordinal), result.Stderr);
        Assert.False(Directory.Exists(temp.Combine("out")));
        Assert.False(Directory.Exists(Path.Combine(temp.Path, "acme")), "no account key is made for bad input");
    }

    [Fact]
    public async Task A_taken_http01_port_exits_3_and_points_at_dns01()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var temp = new TempDirectory("acme-cli");

        var result = await RunAsync("acme", "issue", "--server", "https://127.0.0.1:9/acme/acme/directory", "--name", "a.127.0.0.1.sslip.io",
            "--challenge", "http-01", "--http-listen", $"127.0.0.1:{port}", "--dns-listen", "127.0.0.1:0", "--caroot", temp.Path, "--out", temp.Combine("out"));

        Assert.Equal(ExitCodes.Environment, result.ExitCode);
        Assert.Contains($"error: Cannot listen on 127.0.0.1:{port} for http-01: another process already uses it", result.Stderr);
        Assert.Contains("--challenge dns-01", result.Stderr);
    }

    [Fact]
    public void Durations_read_as_written() =>
        Assert.Equal(
            [TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(90), TimeSpan.FromMinutes(2), TimeSpan.FromHours(1.5), TimeSpan.FromSeconds(7)],
            new[] { "500ms", "60s", "1.5m", "2m", "1.5h", "7" }.Select(d => AcmeCommands.ParseDuration(d, "--timeout")));

    private static string AccountLine(string stdout) => stdout.Split('\n').Single(l => l.Contains("  account:", StringComparison.Ordinal)).Trim();

    /// <summary>A port free for both UDP and TCP on 127.0.0.1 a moment ago (the DNS server needs both).</summary>
    internal static int FreeUdpAndTcpPort()
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = LoopbackPort.GetFree();
            try
            {
                using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException) when (attempt < 20)
            {
            }
        }
    }
}

/// <summary><c>localtls acme issue --challenge http-01</c> end to end: it listens on 127.0.0.1:80 and answers step-ca's lookups.</summary>
[Collection(Port80.Collection)]
public class AcmeCommandHttp01Tests
{
    [Fact]
    public async Task Issue_over_http01_answers_on_port_80_and_serves_the_names_to_step_ca()
    {
        var ct = TestContext.Current.CancellationToken;
        var dnsPort = AcmeCommandTests.FreeUdpAndTcpPort();
        await using var bed = await AcmeTestbed.StartAsync(ct, resolverPort: dnsPort);
        Port80.RequireBindable();
        var root = bed.Temp.Combine("root.pem");
        File.WriteAllText(root, bed.Material.RootCertificatePem);
        var outDir = bed.Temp.Combine("out");

        var result = await AcmeCommandTests.RunAsync("acme", "issue", "--server", bed.DirectoryUrl, "--ca-bundle", root, "--name", "web.127.0.0.1.sslip.io",
            "--challenge", "http-01", "--dns-listen", $"127.0.0.1:{dnsPort}", "--caroot", bed.Temp.Combine("caroot"), "--out", outDir, "--timeout", "30s");

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\n{result.Stdout}\n{result.Stderr}\n{bed.LogTail()}");
        Assert.Contains($"Answering sslip.io lookups on 127.0.0.1:{dnsPort} for step-ca's --resolver while issuing.", result.Stdout);
        Assert.Contains("Answering http-01 on http://127.0.0.1:80/.well-known/acme-challenge/", result.Stdout);
        Assert.Contains("Issued a certificate for web.127.0.0.1.sslip.io over http-01", result.Stdout);
        using var leaf = X509Certificate2.CreateFromPemFile(Path.Combine(outDir, "web.127.0.0.1.sslip.io.crt"), Path.Combine(outDir, "web.127.0.0.1.sslip.io.key"));
        Assert.True(leaf.MatchesHostname("web.127.0.0.1.sslip.io"));
    }
}
