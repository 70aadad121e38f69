using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using LocalTls.StepCa;
using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.StepCa;

/// <summary>Runs the real step-ca (LOCALTLS_STEP_CA, PATH or .tools/bin/step-ca; see eng/build-step-ca.sh).</summary>
public class StepCaProcessTests
{
    private static StepCaOptions LoopbackOptions(int port, params string[] dnsNames) =>
        new() { Address = $"127.0.0.1:{port}", DnsNames = dnsNames.Length > 0 ? [.. dnsNames] : [.. StepCaOptions.ClusterServiceDnsNames, "localhost", "127.0.0.1"] };

    private static async Task<StepCaProcess> StartAsync(StepCaFileSet files, string? resolver = null, Action<StepCaLogLine>? onLog = null)
    {
        var stopwatch = Stopwatch.StartNew();
        var ca = await StepCaProcess.StartAsync(
            new StepCaProcessOptions
            {
                Layout = files.Layout,
                PasswordFile = files.PasswordProtected,
                Resolver = resolver,
                ExecutablePath = StepCaBinary.Path,
                OnLog = onLog,
            },
            TestContext.Current.CancellationToken);
        TestContext.Current.TestOutputHelper?.WriteLine($"step-ca healthy after {stopwatch.ElapsedMilliseconds} ms ({string.Join(' ', ca.Arguments)})");
        return ca;
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient client, Uri url)
    {
        using var response = await client.GetAsync(url, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
    }

    /// <summary>step-ca logs a request after answering it, so the line can come after the response.</summary>
    private static async Task<string> WaitForLogAsync(StepCaProcess ca, Func<string, bool> match)
    {
        for (var stopwatch = Stopwatch.StartNew(); stopwatch.Elapsed < TimeSpan.FromSeconds(10); await Task.Delay(20, TestContext.Current.CancellationToken))
        {
            if (ca.RecentLog.FirstOrDefault(l => match(l.Text)) is { } line)
            {
                return line.Text;
            }
        }

        Assert.Fail($"step-ca did not log the expected line; its last lines: {string.Join(Environment.NewLine, ca.RecentLog.TakeLast(10))}");
        return "";
    }

    [Fact]
    public async Task Host_layout_boots_answers_health_and_serves_the_acme_directory()
    {
        using var temp = new TempDirectory("stepca-host");
        var port = LoopbackPort.GetFree();
        var options = LoopbackOptions(port, "127.0.0.1", "localhost");
        var files = StepCaFiles.Write(StepCaLayout.Host(temp.Path), options, TestCa.Default);

        await using var ca = await StartAsync(files);

        Assert.Equal(files.RootFingerprint, ca.RootFingerprint);
        Assert.Equal(TestCa.Default.RootFingerprint, ca.RootFingerprint);
        Assert.Equal($"127.0.0.1:{port}", ca.ServingAddress);
        Assert.Equal(StepCaConfig.BaseUrl(options), ca.PrimaryUrl);
        Assert.True(await ca.IsHealthyAsync(TestContext.Current.CancellationToken));

        // A client that trusts only our root, connecting straight to the IP that is in step-ca's certificate.
        using var client = new HttpClient(StepCaProcess.CreateHandler(TestCa.Default.GetRootCertificate(), null, null));
        var baseUrl = new Uri($"https://127.0.0.1:{port}");
        Assert.Equal("ok", (await GetJsonAsync(client, new Uri(baseUrl, "/health"))).GetProperty("status").GetString());

        var directory = await GetJsonAsync(client, StepCaConfig.AcmeDirectoryUrl(baseUrl, "acme"));
        Assert.Equal($"https://127.0.0.1:{port}/acme/acme/new-nonce", directory.GetProperty("newNonce").GetString());
        Assert.Equal($"https://127.0.0.1:{port}/acme/acme/new-account", directory.GetProperty("newAccount").GetString());
        Assert.Equal($"https://127.0.0.1:{port}/acme/acme/new-order", directory.GetProperty("newOrder").GetString());
    }

    [Fact]
    public async Task Container_layout_mapped_to_a_temp_folder_boots_with_the_cluster_names_and_a_resolver()
    {
        using var temp = new TempDirectory("stepca-container");
        var port = LoopbackPort.GetFree();
        var options = LoopbackOptions(port);
        var layout = StepCaLayout.Container.MapTo(temp.Path);
        var files = StepCaFiles.Write(layout, options, TestCa.Default);
        var lines = new List<string>();

        await using var ca = await StartAsync(files, resolver: "127.0.0.1:5353", onLog: l => { lock (lines) { lines.Add(l.Text); } });

        Assert.Contains("--resolver", ca.Arguments);
        Assert.Equal(layout.CaConfigPath, ca.Arguments[^1]);
        Assert.Equal(new Uri($"https://step-ca.step-ca.svc.cluster.local:{port}"), ca.PrimaryUrl);
        Assert.Equal(TestCa.Default.RootFingerprint, ca.RootFingerprint);
        lock (lines)
        {
            Assert.Contains(lines, l => l.Contains($"X.509 Root Fingerprint: {TestCa.Default.RootFingerprint}", StringComparison.Ordinal));
        }

        // The seed URL, served under the in-cluster name (the harness connects that name to the loopback listener).
        using var client = ca.CreateHttpClient();
        var directoryUrl = StepCaConfig.AcmeDirectoryUrl(StepCaConfig.BaseUrl(options), "acme");
        Assert.Equal($"https://step-ca.step-ca.svc.cluster.local:{port}/acme/acme/directory", directoryUrl.AbsoluteUri);
        var directory = await GetJsonAsync(client, directoryUrl);
        Assert.Equal($"https://step-ca.step-ca.svc.cluster.local:{port}/acme/acme/new-order", directory.GetProperty("newOrder").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_field_we_render_is_accepted_by_step_ca(bool bbolt)
    {
        using var temp = new TempDirectory("stepca-fields");
        var port = LoopbackPort.GetFree();
        var options = LoopbackOptions(port, "127.0.0.1");
        options.LogFormat = StepCaLogFormat.Json;
        options.Database = bbolt
            ? new StepCaDatabaseOptions { Type = StepCaDatabaseType.BBolt }
            : new StepCaDatabaseOptions { BadgerFileLoadingMode = BadgerFileLoadingMode.FileIO };
        options.Claims = new StepCaClaimsOptions { MinTlsCertDuration = TimeSpan.FromMinutes(1), MaxTlsCertDuration = TimeSpan.FromHours(48), DefaultTlsCertDuration = TimeSpan.FromHours(12) };
        options.Provisioners =
        [
            new AcmeProvisionerOptions { ForceCN = true, Challenges = [StepCaAcmeChallenge.Http01, StepCaAcmeChallenge.Dns01] },
            new AcmeProvisionerOptions { Name = "long-lived", Claims = new() { MaxTlsCertDuration = TimeSpan.FromDays(365), DefaultTlsCertDuration = TimeSpan.FromDays(30) } },
        ];
        var files = StepCaFiles.Write(StepCaLayout.Host(temp.Path), options, TestCa.Default);

        await using var ca = await StartAsync(files);

        using var client = ca.CreateHttpClient();
        foreach (var name in new[] { "acme", "long-lived" })
        {
            var directory = await GetJsonAsync(client, StepCaConfig.AcmeDirectoryUrl(ca.PrimaryUrl!, name));
            Assert.Equal($"https://127.0.0.1:{port}/acme/{name}/new-order", directory.GetProperty("newOrder").GetString());
        }

        Assert.True(bbolt ? File.Exists(Path.Combine(temp.Path, "db", "step.db")) : File.Exists(Path.Combine(temp.Path, "db", "MANIFEST")));
        var requestLine = await WaitForLogAsync(ca, l => l.Contains("/acme/long-lived/directory", StringComparison.Ordinal));
        Assert.StartsWith("{", requestLine);
    }

    [Fact]
    public async Task Encrypted_intermediate_key_boots_with_the_password_file()
    {
        using var temp = new TempDirectory("stepca-encrypted");
        var files = StepCaFiles.Write(StepCaLayout.Host(temp.Path), LoopbackOptions(LoopbackPort.GetFree()), TestCa.Default, password: "correct horse battery staple");
        Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", File.ReadAllText(files.Layout.IntermediateKeyPath));

        await using var ca = await StartAsync(files);

        Assert.Equal(["--password-file", files.Layout.PasswordPath], ca.Arguments.Take(2));
        Assert.True(await ca.IsHealthyAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_wrong_password_fails_with_step_cas_own_words()
    {
        using var temp = new TempDirectory("stepca-wrongpw");
        var files = StepCaFiles.Write(StepCaLayout.Host(temp.Path), LoopbackOptions(LoopbackPort.GetFree()), TestCa.Default, password: "right");
        File.WriteAllText(files.Layout.PasswordPath, "wrong");

        var e = await Assert.ThrowsAsync<StepCaException>(() => StartAsync(files));
        TestContext.Current.TestOutputHelper?.WriteLine(e.Message);

        Assert.StartsWith("step-ca could not decrypt the intermediate key: the password in --password-file is not the one the key was encrypted with.", e.Message);
        Assert.Contains("Last lines of step-ca's output:", e.Message);
        Assert.Contains("x509: decryption password incorrect", e.Message);
    }

    [Fact]
    public async Task A_port_in_use_gives_a_clear_error()
    {
        using var temp = new TempDirectory("stepca-inuse");
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var files = StepCaFiles.Write(StepCaLayout.Host(temp.Path), LoopbackOptions(port), TestCa.Default);

        var e = await Assert.ThrowsAsync<StepCaException>(() => StartAsync(files));
        TestContext.Current.TestOutputHelper?.WriteLine(e.Message);

        Assert.Contains($"step-ca could not listen on 127.0.0.1:{port}: the port is already in use", e.Message);
        Assert.Contains("choose a free port in StepCaOptions.Address", e.Message);
        Assert.Contains("address already in use", e.Message);
    }

    [Fact]
    public async Task The_client_trusts_only_our_root()
    {
        using var temp = new TempDirectory("stepca-trust");
        var port = LoopbackPort.GetFree();
        var files = StepCaFiles.Write(StepCaLayout.Host(temp.Path), LoopbackOptions(port, "127.0.0.1"), TestCa.Default);
        await using var ca = await StartAsync(files);

        var stranger = TestCa.Create("Stranger");
        using var client = new HttpClient(StepCaProcess.CreateHandler(stranger.GetRootCertificate(), null, null));
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"https://127.0.0.1:{port}/health", TestContext.Current.CancellationToken));
        Assert.IsType<AuthenticationException>(e.InnerException);

        using var ours = ca.CreateHttpClient();
        Assert.Equal(HttpStatusCode.OK, (await ours.GetAsync("/health", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task Dispose_stops_step_ca_cleanly_so_the_same_layout_boots_again()
    {
        using var temp = new TempDirectory("stepca-restart");
        var files = StepCaFiles.Write(StepCaLayout.Host(temp.Path), LoopbackOptions(LoopbackPort.GetFree()), TestCa.Default);
        var first = await StartAsync(files, onLog: null);
        var pid = first.ProcessId;

        var stopwatch = Stopwatch.StartNew();
        await first.DisposeAsync();
        Assert.True(first.HasExited);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"step-ca took {stopwatch.Elapsed} to stop: SIGTERM did not work and it was killed");
        Assert.Contains(first.RecentLog, l => l.Text.Contains("shutting down", StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(pid));

        // badger's lock is released: a second step-ca opens the same db.
        await using var second = await StartAsync(files);
        Assert.True(await second.IsHealthyAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task The_log_buffer_is_bounded_and_the_event_sees_new_lines()
    {
        using var temp = new TempDirectory("stepca-log");
        var port = LoopbackPort.GetFree();
        var files = StepCaFiles.Write(StepCaLayout.Host(temp.Path), LoopbackOptions(port, "127.0.0.1"), TestCa.Default);
        var seen = 0;
        await using var ca = await StepCaProcess.StartAsync(
            new StepCaProcessOptions { Layout = files.Layout, ExecutablePath = StepCaBinary.Path, LogCapacity = 3, OnLog = _ => Interlocked.Increment(ref seen) },
            TestContext.Current.CancellationToken);

        Assert.True(seen > 3, $"only {seen} lines were seen");
        Assert.Equal(3, ca.RecentLog.Count);

        var requestLogged = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        ca.LogReceived += (_, line) =>
        {
            if (line.Text.Contains("path=/roots.pem", StringComparison.Ordinal))
            {
                requestLogged.TrySetResult(line.Text);
            }
        };
        using var client = ca.CreateHttpClient();
        (await client.GetAsync("/roots.pem", TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        var logged = await requestLogged.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Contains("status=200", logged);
    }
}
