using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LocalTls.Pki;
using LocalTls.Sslip;
using LocalTls.StepCa;
using LocalTls.Tests.StepCa;
using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.Acme;

/// <summary>What one lego run did.</summary>
/// <param name="ExitCode">Its exit code; <see langword="null"/> when it was killed at the timeout.</param>
/// <param name="Output">Standard output and standard error, interleaved as written.</param>
/// <param name="Elapsed">How long it ran.</param>
/// <param name="CommandLine">The command line, for messages.</param>
internal sealed record LegoRun(int? ExitCode, string Output, TimeSpan Elapsed, string CommandLine)
{
    public bool TimedOut => ExitCode is null;
}

/// <summary>
/// The seed's verification setup on loopback only: CA material from <see cref="CaGenerator"/>, a host layout with
/// step-ca on 127.0.0.1:{free port}, an <see cref="SslipDnsServer"/> on 127.0.0.1:{free port}, and step-ca started
/// with <c>--resolver</c> pointing at it, so step-ca resolves sslip.io names without any other network.
/// </summary>
internal sealed class AcmeTestbed : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _log;
    private readonly StepCaProcessOptions _processOptions;

    private AcmeTestbed(TempDirectory temp, CaMaterial material, StepCaFileSet files, int port, SslipDnsServer dns, StepCaProcess ca, ConcurrentQueue<string> log, StepCaProcessOptions processOptions)
    {
        Temp = temp;
        Material = material;
        Files = files;
        Port = port;
        Dns = dns;
        Ca = ca;
        _log = log;
        _processOptions = processOptions;
    }

    public TempDirectory Temp { get; }

    public CaMaterial Material { get; }

    public StepCaFileSet Files { get; }

    public int Port { get; }

    public SslipDnsServer Dns { get; }

    /// <summary>The running step-ca; replaced by <see cref="RestartAsync"/> and <see cref="StartAgainAsync"/>.</summary>
    public StepCaProcess Ca { get; private set; }

    public string DirectoryUrl => $"https://127.0.0.1:{Port}/acme/acme/directory";

    public Uri DirectoryUri => new(DirectoryUrl);

    /// <summary>Options for <see cref="LocalTls.Acme.AcmeIssuance"/> against this step-ca, trusting only our root.</summary>
    public LocalTls.Acme.AcmeIssueOptions IssueOptions(string? caRoot = null, TimeSpan? timeout = null, HttpMessageHandler? handler = null) => new()
    {
        DirectoryUrl = DirectoryUri,
        CaRoot = caRoot ?? Temp.Combine("caroot"),
        Timeout = timeout ?? TimeSpan.FromSeconds(30),
        Client = new LocalTls.Acme.AcmeClientOptions { TrustedRootsPem = handler is null ? Material.RootCertificatePem : null, HttpMessageHandler = handler },
    };

    /// <summary>Stops step-ca (SIGTERM, a clean badger shutdown) and starts it again on the same port and database.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        await Ca.DisposeAsync();
        await StartAgainAsync(cancellationToken);
    }

    /// <summary>Kills step-ca (SIGKILL, no shutdown) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        using (var process = Process.GetProcessById(Ca.ProcessId))
        {
            process.Kill();
        }

        await Ca.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await Ca.DisposeAsync();
    }

    /// <summary>Starts step-ca again (after <see cref="KillAsync"/>), on the same port and database.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken)
    {
        _log.Enqueue("--- step-ca started again ---");
        Ca = await StepCaProcess.StartAsync(_processOptions, cancellationToken);
    }

    /// <summary>The root certificate step-ca was given, the one ACME clients must trust.</summary>
    public string RootCertificatePath => Files.Layout.RootCertificatePath;

    /// <summary>Everything step-ca wrote so far.</summary>
    public IReadOnlyList<string> Log => [.. _log];

    /// <summary>Starts step-ca resolving through our DNS server, or through <paramref name="resolverPort"/> on 127.0.0.1 when given (a DNS server someone else starts there, e.g. the CLI's).</summary>
    public static async Task<AcmeTestbed> StartAsync(CancellationToken cancellationToken, int? resolverPort = null)
    {
        var temp = new TempDirectory("acme");
        SslipDnsServer? dns = null;
        try
        {
            var material = CaGenerator.Create();
            var port = LoopbackPort.GetFree();
            var options = new StepCaOptions { Address = $"127.0.0.1:{port}", DnsNames = ["127.0.0.1", "localhost"] };
            var files = StepCaFiles.Write(StepCaLayout.Host(temp.Combine("step-ca")), options, material);
            dns = SslipDnsServer.Start(new SslipDnsServerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0) });
            var log = new ConcurrentQueue<string>();
            var processOptions = new StepCaProcessOptions
            {
                Layout = files.Layout,
                ExecutablePath = StepCaBinary.Path,
                Resolver = $"127.0.0.1:{resolverPort ?? dns.Port}",
                OnLog = line => log.Enqueue(line.Text),
            };
            var ca = await StepCaProcess.StartAsync(processOptions, cancellationToken);
            return new AcmeTestbed(temp, material, files, port, dns, ca, log, processOptions);
        }
        catch
        {
            if (dns is not null)
            {
                await dns.DisposeAsync();
            }

            temp.Dispose();
            throw;
        }
    }

    /// <summary>step-ca's last lines, each cut to a readable length, for assertion messages.</summary>
    public string LogTail(int count = 40)
    {
        var lines = Log;
        var tail = lines.Skip(Math.Max(0, lines.Count - count)).Select(l => "  " + (l.Length > 700 ? l[..700] + " …" : l));
        return $"step-ca's last {Math.Min(count, lines.Count)} log lines:{Environment.NewLine}{string.Join(Environment.NewLine, tail)}";
    }

    /// <summary>lego's output and step-ca's log, for assertion messages.</summary>
    public string Describe(LegoRun run) =>
        $"{run.CommandLine}{Environment.NewLine}" +
        $"lego {(run.TimedOut ? "was killed at the timeout" : $"exited with {run.ExitCode}")} after {run.Elapsed.TotalSeconds:0.0} s; its output:{Environment.NewLine}{run.Output}{Environment.NewLine}{LogTail()}";

    /// <summary>Waits (bounded) for a log line step-ca writes after it answered a request.</summary>
    public async Task<string?> WaitForLogAsync(Func<string, bool> match, TimeSpan? timeout = null)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            if (Log.FirstOrDefault(match) is { } line)
            {
                return line;
            }

            if (stopwatch.Elapsed > (timeout ?? TimeSpan.FromSeconds(10)))
            {
                return null;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>
    /// Runs the real lego against this step-ca, trusting our root through <c>LEGO_CA_CERTIFICATES</c>, and kills it at
    /// <paramref name="timeout"/> (the result then has no exit code).
    /// </summary>
    public async Task<LegoRun> RunLegoAsync(string domain, string path, IEnumerable<string> solver, TimeSpan timeout)
    {
        var lego = Tool.Require("lego", "lego");
        string[] args = ["--server", DirectoryUrl, "--email", "test@example.com", "--accept-tos", "--domains", domain, .. solver, "--path", path, "run"];
        var info = new ProcessStartInfo(lego)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = Temp.Path,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["LEGO_CA_CERTIFICATES"] = RootCertificatePath;
        foreach (var variable in new[] { "LEGO_PATH", "LEGO_SERVER", "LEGO_EMAIL" })
        {
            info.Environment.Remove(variable);
        }

        var output = new StringBuilder();
        void Append(string? line)
        {
            if (line is not null)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }
            }
        }

        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        var stopwatch = Stopwatch.StartNew();
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        int? exitCode = null;
        using (var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        {
            cts.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(cts.Token);
                exitCode = process.ExitCode;
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        // Drains the output readers (and reaps a killed lego).
        await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        stopwatch.Stop();
        TestContext.Current.CancellationToken.ThrowIfCancellationRequested();
        string text;
        lock (output)
        {
            text = output.ToString();
        }

        var commandLine = $"LEGO_CA_CERTIFICATES={RootCertificatePath} lego {string.Join(' ', args)}";
        TestContext.Current.TestOutputHelper?.WriteLine($"{commandLine}{Environment.NewLine}  -> {(exitCode is null ? "killed at the timeout" : $"exit {exitCode}")} after {stopwatch.ElapsedMilliseconds} ms");
        return new LegoRun(exitCode, text, stopwatch.Elapsed, commandLine);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Ca.DisposeAsync();
            await Dns.DisposeAsync();
        }
        finally
        {
            Temp.Dispose();
        }
    }
}

/// <summary>HTTP-01 is validated on port 80 of the name's address, so these tests need 127.0.0.1:80.</summary>
internal static class Port80
{
    /// <summary>The test collection of every test that listens on 127.0.0.1:80, so that they run one at a time.</summary>
    public const string Collection = "127.0.0.1:80";

    public const string SkipReason =
        "HTTP-01 needs a listener on 127.0.0.1:80 (step-ca validates port 80 of the address the name resolves to), and this process may not bind ports below 1024. " +
        "Run the tests as root (CI does), or give the test host CAP_NET_BIND_SERVICE, or lower net.ipv4.ip_unprivileged_port_start to 80.";

    /// <summary>Skips the test when this process may not bind 127.0.0.1:80 (fails it under CI); fails it when another process holds the port.</summary>
    public static void RequireBindable()
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, 80);
            listener.Start();
            listener.Stop();
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AccessDenied)
        {
            // Under CI a missing prerequisite is a failure, never a silent skip.
            if (LocalTls.Tests.TestSupport.Schemas.ReferenceFiles.IsCi)
            {
                Assert.Fail(SkipReason + " CI=true, so this is a failure, not a skip.");
            }

            Assert.Skip(SkipReason);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            Assert.Fail($"127.0.0.1:80 is in use by another process ({e.Message}), so no HTTP-01 solver can listen there. Stop that process (see 'ss -ltnp sport = :80') and run the tests again.");
        }
    }

    /// <summary>Whether a TCP connection to <paramref name="address"/>:80 is accepted (something listens, e.g. on 0.0.0.0:80).</summary>
    public static async Task<bool> AcceptsAsync(IPAddress address)
    {
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await client.ConnectAsync(address, 80, cts.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}

/// <summary>An HTTP server on 127.0.0.1:80 that answers every request with 200 and the same wrong body.</summary>
internal sealed class WrongAnswerServer : IAsyncDisposable
{
    public const string Body = "not-the-key-authorization";

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly ConcurrentQueue<string> _requests = new();

    private WrongAnswerServer(TcpListener listener)
    {
        _listener = listener;
        _loop = Task.Run(AcceptAsync);
    }

    /// <summary>Each request's request line and Host header, e.g. <c>GET /.well-known/acme-challenge/abc HTTP/1.1 | Host: x</c>.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    /// <summary>Starts listening; skips the test when port 80 may not be bound.</summary>
    public static WrongAnswerServer Start()
    {
        Port80.RequireBindable();
        var listener = new TcpListener(IPAddress.Loopback, 80);
        listener.Start();
        return new WrongAnswerServer(listener);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => AnswerAsync(client));
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                cts.CancelAfter(TimeSpan.FromSeconds(10));
                var stream = client.GetStream();
                var buffer = new byte[8192];
                var read = 0;
                while (read < buffer.Length)
                {
                    var n = await stream.ReadAsync(buffer.AsMemory(read), cts.Token);
                    if (n == 0)
                    {
                        break;
                    }

                    read += n;
                    if (Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        break;
                    }
                }

                var lines = Encoding.ASCII.GetString(buffer, 0, read).Split("\r\n");
                var host = lines.FirstOrDefault(l => l.StartsWith("Host:", StringComparison.OrdinalIgnoreCase)) ?? "Host: (none)";
                _requests.Enqueue($"{lines[0]} | {host}");
                var response = $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {Body.Length}\r\nConnection: close\r\n\r\n{Body}";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(response), cts.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
