using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LocalTls.StepCa;

/// <summary>One line step-ca wrote.</summary>
/// <param name="Timestamp">When it was read.</param>
/// <param name="IsStandardError">Whether it came on standard error (where step-ca logs) rather than standard output.</param>
/// <param name="Text">The line, without its line end.</param>
internal sealed record StepCaLogLine(DateTimeOffset Timestamp, bool IsStandardError, string Text)
{
    /// <inheritdoc />
    public override string ToString() => Text;
}

/// <summary>How to run a step-ca process on this machine (see <see cref="StepCaProcess.StartAsync(StepCaProcessOptions, CancellationToken)"/>).</summary>
internal sealed class StepCaProcessOptions
{
    /// <summary>Where the files are; their paths must be valid on this machine (a host layout, or a layout mapped with <see cref="StepCaLayout.MapTo(string)"/>).</summary>
    public required StepCaLayout Layout { get; init; }

    /// <summary>The step-ca executable; <see langword="null"/> to look it up (see <see cref="StepCaProcess.LocateExecutable(string?)"/>).</summary>
    public string? ExecutablePath { get; set; }

    /// <summary>Whether to pass <c>--password-file</c>: the intermediate key is encrypted.</summary>
    public bool PasswordFile { get; set; }

    /// <summary>A DNS server for ACME challenge lookups, <c>host:port</c> (<c>--resolver</c>); <see langword="null"/> for the system's.</summary>
    public string? Resolver { get; set; }

    /// <summary>The only root the health check and <see cref="StepCaProcess.CreateHttpClient"/> trust, PEM; default: the layout's root certificate file.</summary>
    public string? TrustedRootPem { get; set; }

    /// <summary>How long step-ca has to start serving and answer <c>/health</c>. Default 30 seconds.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many of the latest log lines are kept for <see cref="StepCaProcess.RecentLog"/> and error messages. Default 200.</summary>
    public int LogCapacity { get; set; } = 200;

    /// <summary>Called for every line step-ca writes, from the first one, on a thread-pool thread.</summary>
    public Action<StepCaLogLine>? OnLog { get; set; }
}

/// <summary>
/// A step-ca process on this machine: found, started with a layout's command line, watched until it serves
/// and <c>GET /health</c> answers <c>{"status":"ok"}</c> over TLS that trusts only the CA's own root, and
/// stopped (SIGTERM, then kill) when disposed.
/// </summary>
internal sealed partial class StepCaProcess : IAsyncDisposable, IDisposable
{
    /// <summary>The environment variable that names the step-ca executable.</summary>
    public const string ExecutableEnvironmentVariable = StepCaExecutable.EnvironmentVariable;

    /// <summary>How to get a step-ca, for messages.</summary>
    public const string HowToGet = StepCaExecutable.HowToGet;

    /// <inheritdoc cref="StepCaExecutable.Locate(string?)"/>
    public static string LocateExecutable(string? explicitPath = null) => StepCaExecutable.Locate(explicitPath);

    internal static string LocateExecutable(string? explicitPath, Func<string, string?> environment) => StepCaExecutable.Locate(explicitPath, environment);

    internal static SocketsHttpHandler CreateHandler(X509Certificate2 root, Uri? primaryUrl, string? servingAddress) => StepCaExecutable.CreateHandler(root, primaryUrl, servingAddress);

    internal static (string Host, int Port)? ConnectTarget(string? servingAddress) => StepCaExecutable.ConnectTarget(servingAddress);

    private readonly Process _process;
    private readonly StepCaProcessOptions _options;
    private readonly X509Certificate2 _root;
    private readonly Queue<StepCaLogLine> _log = new();
    private readonly Lock _logLock = new();
    private readonly TaskCompletionSource _serving = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    private StepCaProcess(Process process, StepCaProcessOptions options, X509Certificate2 root, string executable, IReadOnlyList<string> arguments)
    {
        _process = process;
        _options = options;
        _root = root;
        ExecutablePath = executable;
        Arguments = arguments;
    }

    /// <summary>Raised for every line step-ca writes after the handler is added (lines before are in <see cref="RecentLog"/>, or use <see cref="StepCaProcessOptions.OnLog"/>).</summary>
    public event EventHandler<StepCaLogLine>? LogReceived;

    /// <summary>The executable that runs.</summary>
    public string ExecutablePath { get; }

    /// <summary>Its arguments.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>The operating-system process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>The root fingerprint step-ca logged (<c>X.509 Root Fingerprint: …</c>), lower-case hex.</summary>
    public string? RootFingerprint { get; private set; }

    /// <summary>The address step-ca logged it serves HTTPS on (<c>Serving HTTPS on …</c>), e.g. <c>127.0.0.1:9000</c>.</summary>
    public string? ServingAddress { get; private set; }

    /// <summary>step-ca's primary URL as it logged it: <c>https://{first DNS name}:{port}</c>.</summary>
    public Uri? PrimaryUrl { get; private set; }

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>The exit code once the process has ended.</summary>
    public int? ExitCode => HasExited ? _process.ExitCode : null;

    /// <summary>The latest log lines, oldest first (at most <see cref="StepCaProcessOptions.LogCapacity"/>).</summary>
    public IReadOnlyList<StepCaLogLine> RecentLog
    {
        get
        {
            lock (_logLock)
            {
                return [.. _log];
            }
        }
    }

    /// <summary>Starts step-ca for files written by <see cref="StepCaFiles.Write(StepCaLayout, StepCaOptions, string, string, string, string?)"/> and waits until it is healthy.</summary>
    /// <exception cref="StepCaException">step-ca was not found, exited, or was not healthy in time; the message has its last log lines.</exception>
    public static Task<StepCaProcess> StartAsync(StepCaFileSet files, string? resolver = null, string? executablePath = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        var rootPem = files[StepCaLayout.RootCertificateFile]?.Content;
        return StartAsync(
            new StepCaProcessOptions { Layout = files.Layout, PasswordFile = files.PasswordProtected, Resolver = resolver, ExecutablePath = executablePath, TrustedRootPem = rootPem },
            cancellationToken);
    }

    /// <summary>Starts step-ca and waits until <c>GET /health</c> answers <c>{"status":"ok"}</c>.</summary>
    /// <exception cref="StepCaException">step-ca was not found, its files are missing, it exited, or it was not healthy within <see cref="StepCaProcessOptions.StartTimeout"/>; the message has its last log lines.</exception>
    public static async Task<StepCaProcess> StartAsync(StepCaProcessOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Layout);
        var executable = LocateExecutable(options.ExecutablePath);
        var layout = options.Layout;
        foreach (var required in new[] { layout.CaConfigPath, layout.RootCertificatePath })
        {
            if (!File.Exists(required))
            {
                throw new StepCaException($"'{required}' does not exist: write the layout first (StepCaFiles.Write), and give a layout whose paths are on this machine (StepCaLayout.Host or MapTo).");
            }
        }

        var rootPem = options.TrustedRootPem ?? await File.ReadAllTextAsync(layout.RootCertificatePath, cancellationToken).ConfigureAwait(false);
        X509Certificate2 root;
        try
        {
            root = X509Certificate2.CreateFromPem(rootPem);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new StepCaException($"The trusted root is not a PEM certificate ({e.Message}).", e);
        }

        var arguments = StepCaCommandLine.Arguments(layout, options.PasswordFile, options.Resolver);
        var startInfo = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = layout.Root,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // These would silence the startup lines the harness reads, or switch step-ca to another context.
        foreach (var variable in new[] { "STEP_CA_QUIET", "STEP_CA_CONTEXT", "STEP_CA_TOKEN" })
        {
            startInfo.Environment.Remove(variable);
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var ca = new StepCaProcess(process, options, root, executable, arguments);
        process.OutputDataReceived += (_, e) => ca.OnLine(e.Data, isError: false);
        process.ErrorDataReceived += (_, e) => ca.OnLine(e.Data, isError: true);
        process.Exited += (_, _) => ca._exited.TrySetResult();
        try
        {
            if (!process.Start())
            {
                throw new StepCaException($"'{executable}' did not start.");
            }
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new StepCaException($"'{executable}' could not be started ({e.Message}). Check that it is an executable step-ca for this machine. {HowToGet}", e);
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await ca.WaitUntilHealthyAsync(cancellationToken).ConfigureAwait(false);
            return ca;
        }
        catch
        {
            await ca.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// An HTTP client for this step-ca: it trusts only the CA's root (custom root trust, no system roots), and
    /// connects requests for <see cref="PrimaryUrl"/>'s host and port to the address step-ca serves on, so the
    /// name in step-ca's certificate matches even when it does not resolve here.
    /// </summary>
    public HttpClient CreateHttpClient() =>
        new(CreateHandler(_root, PrimaryUrl, ServingAddress), disposeHandler: true) { BaseAddress = PrimaryUrl };

    /// <summary>Whether <c>GET /health</c> answers <c>{"status":"ok"}</c> now.</summary>
    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default)
    {
        using var client = CreateHttpClient();
        return await CheckHealthAsync(client, cancellationToken).ConfigureAwait(false) is null;
    }

    /// <summary>Waits for the process to end by itself.</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken = default) => _exited.Task.WaitAsync(cancellationToken);

    /// <summary>Stops step-ca: SIGTERM (a clean badger shutdown) on Unix, then a kill after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan? grace = null)
    {
        if (HasExited)
        {
            return;
        }

        if (!OperatingSystem.IsWindows() && TrySigTerm(_process.Id))
        {
            try
            {
                await _exited.Task.WaitAsync(grace ?? TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Falls through to the kill below.
            }
        }

        if (!HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            await _exited.Task.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }

        await _process.WaitForExitAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        finally
        {
            _process.Dispose();
            _root.Dispose();
        }
    }

    /// <inheritdoc />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task WaitUntilHealthyAsync(CancellationToken cancellationToken)
    {
        var timeout = _options.StartTimeout;
        var stopwatch = Stopwatch.StartNew();
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);

        var first = await Task.WhenAny(_serving.Task, _exited.Task, Task.Delay(Timeout.InfiniteTimeSpan, timeoutSource.Token)).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (first == _exited.Task || (HasExited && !_serving.Task.IsCompleted))
        {
            throw await ExitedErrorAsync(stopwatch.Elapsed).ConfigureAwait(false);
        }

        if (first != _serving.Task)
        {
            throw new StepCaException(
                $"step-ca did not start serving within {timeout.TotalSeconds:0.#} s (no 'Serving HTTPS on' line; it is still running and was stopped). {LastLines()}");
        }

        if (PrimaryUrl is null)
        {
            throw new StepCaException($"step-ca serves on {ServingAddress} but logged no 'The primary server URL is' line, so its URL is unknown. Do not run it with --quiet or STEP_CA_QUIET. {LastLines()}");
        }

        using var client = CreateHttpClient();
        client.Timeout = TimeSpan.FromSeconds(5);
        string? lastProblem = null;
        while (true)
        {
            if (HasExited)
            {
                throw await ExitedErrorAsync(stopwatch.Elapsed).ConfigureAwait(false);
            }

            try
            {
                lastProblem = await CheckHealthAsync(client, timeoutSource.Token).ConfigureAwait(false);
                if (lastProblem is null)
                {
                    return;
                }

                await Task.Delay(100, timeoutSource.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new StepCaException(
                    $"step-ca serves on {ServingAddress} but {new Uri(PrimaryUrl, "/health")} did not answer {{\"status\":\"ok\"}} within {timeout.TotalSeconds:0.#} s (last: {lastProblem ?? "no answer"}). {LastLines()}");
            }
        }
    }

    /// <returns>Null when healthy, else what was wrong.</returns>
    private static async Task<string?> CheckHealthAsync(HttpClient client, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await client.GetAsync("/health", cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return $"HTTP {(int)response.StatusCode}: {body}";
            }

            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("status", out var status) && status.GetString() == "ok" ? null : $"unexpected body {body}";
        }
        catch (HttpRequestException e)
        {
            return e.InnerException is null ? e.Message : $"{e.Message} ({e.InnerException.Message})";
        }
        catch (JsonException e)
        {
            return $"not JSON: {e.Message}";
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return "request timed out";
        }
    }

    private async Task<StepCaException> ExitedErrorAsync(TimeSpan after)
    {
        // Let the output readers drain so the message has the last lines.
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        var code = _process.ExitCode;
        var lines = RecentLog;
        var inUse = lines.FirstOrDefault(l => l.Text.Contains("address already in use", StringComparison.OrdinalIgnoreCase)
            || l.Text.Contains("Only one usage of each socket address", StringComparison.OrdinalIgnoreCase));
        if (inUse is not null)
        {
            var address = ListenAddress().Match(inUse.Text) is { Success: true } m ? m.Groups[1].Value : "its address";
            return new StepCaException(
                $"step-ca could not listen on {address}: the port is already in use by another process (perhaps another step-ca). Stop that process, or choose a free port in StepCaOptions.Address (e.g. LoopbackPort.GetFree()). step-ca exited with code {code}. {LastLines()}");
        }

        if (lines.Any(l => l.Text.Contains("decryption password incorrect", StringComparison.OrdinalIgnoreCase)))
        {
            return new StepCaException(
                $"step-ca could not decrypt the intermediate key: the password in --password-file is not the one the key was encrypted with. Write the layout again with the right password (StepCaFiles.Write). step-ca exited with code {code}. {LastLines()}");
        }

        return new StepCaException($"step-ca exited with code {code} after {after.TotalSeconds:0.0} s, before it was healthy. {LastLines()}");
    }

    private string LastLines(int count = 20)
    {
        var lines = RecentLog;
        if (lines.Count == 0)
        {
            return "It wrote nothing.";
        }

        var tail = lines.Skip(Math.Max(0, lines.Count - count)).Select(l => "  " + l.Text);
        return $"Last lines of step-ca's output:{Environment.NewLine}{string.Join(Environment.NewLine, tail)}";
    }

    private void OnLine(string? text, bool isError)
    {
        if (text is null)
        {
            return;
        }

        var line = new StepCaLogLine(DateTimeOffset.UtcNow, isError, text);
        lock (_logLock)
        {
            _log.Enqueue(line);
            while (_log.Count > Math.Max(1, _options.LogCapacity))
            {
                _log.Dequeue();
            }
        }

        if (FingerprintLine().Match(text) is { Success: true } fingerprint)
        {
            RootFingerprint ??= fingerprint.Groups[1].Value.ToLowerInvariant();
        }
        else if (PrimaryUrlLine().Match(text) is { Success: true } url && Uri.TryCreate(url.Groups[1].Value, UriKind.Absolute, out var primary))
        {
            PrimaryUrl ??= primary;
        }
        else if (ServingLine().Match(text) is { Success: true } serving)
        {
            ServingAddress ??= serving.Groups[1].Value;
            _serving.TrySetResult();
        }

        try
        {
            _options.OnLog?.Invoke(line);
            LogReceived?.Invoke(this, line);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A failing log consumer must not stop the output readers.
        }
    }

    private const int SigTerm = 15;

    private static bool TrySigTerm(int pid)
    {
        try
        {
            return Kill(pid, SigTerm) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // No usable libc: the caller kills the process instead.
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
#pragma warning disable SYSLIB1054 // LibraryImport needs unsafe code; kill(2) takes two ints and marshals trivially.
    private static extern int Kill(int pid, int signal);
#pragma warning restore SYSLIB1054

    [GeneratedRegex(@"X\.509 Root Fingerprint: ([0-9a-fA-F]{64})")]
    private static partial Regex FingerprintLine();

    [GeneratedRegex(@"The primary server URL is (https://\S+)")]
    private static partial Regex PrimaryUrlLine();

    [GeneratedRegex(@"Serving HTTPS on (\S+) \.\.\.")]
    private static partial Regex ServingLine();

    [GeneratedRegex(@"listen tcp \S*?:?(\S+:\d+): bind")]
    private static partial Regex ListenAddress();
}
