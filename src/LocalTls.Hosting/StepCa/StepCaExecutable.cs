using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace LocalTls.StepCa;

/// <summary>
/// What the package needs of a step-ca binary on this machine: where it is (or how to get one), and an HTTP client
/// handler that trusts only the CA's root. Running step-ca is Aspire's job (an executable resource); the process
/// harness the tests and the benchmark use lives beside them.
/// </summary>
internal static class StepCaExecutable
{
    /// <summary>The environment variable that names the step-ca executable.</summary>
    public const string EnvironmentVariable = "LOCALTLS_STEP_CA";

    /// <summary>How to get a step-ca, for messages.</summary>
    public const string HowToGet =
        "To get one: 'brew install step' on macOS; smallstep's step-ca package for Debian/Ubuntu or Fedora/RHEL; or " +
        "'go install github.com/smallstep/certificates/cmd/step-ca@latest'. Then put it on PATH, set LOCALTLS_STEP_CA to its path, " +
        "or call WithExecutable(path) on the CA in the AppHost. Or set ASPIRE_CONTAINER_RUNTIME (docker or podman) for the AppHost " +
        "to run the smallstep/step-ca image instead.";

    /// <summary>
    /// Finds step-ca: <paramref name="explicitPath"/> when given, else the file named by
    /// <c>LOCALTLS_STEP_CA</c>, else <c>step-ca</c> on <c>PATH</c>.
    /// </summary>
    /// <returns>The full path of the executable.</returns>
    /// <exception cref="StepCaException">It was not found; the message says how to get one.</exception>
    public static string Locate(string? explicitPath = null) => Locate(explicitPath, Environment.GetEnvironmentVariable);

    internal static string Locate(string? explicitPath, Func<string, string?> environment)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return File.Exists(explicitPath)
                ? Path.GetFullPath(explicitPath)
                : throw new StepCaException($"step-ca was not found at '{explicitPath}', the path given. Fix the path, or give none to use {EnvironmentVariable} or PATH. {HowToGet}");
        }

        var fromEnvironment = environment(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return File.Exists(fromEnvironment)
                ? Path.GetFullPath(fromEnvironment)
                : throw new StepCaException($"step-ca was not found at '{fromEnvironment}', the path {EnvironmentVariable} names. Fix or unset {EnvironmentVariable}. {HowToGet}");
        }

        var name = OperatingSystem.IsWindows() ? "step-ca.exe" : "step-ca";
        foreach (var folder in (environment("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var candidate = Path.Combine(folder, name);
            if (File.Exists(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }

        throw new StepCaException($"step-ca was not found: {EnvironmentVariable} is not set and no '{name}' is on PATH. Set {EnvironmentVariable} to its path or put it on PATH. {HowToGet}");
    }

    /// <summary>
    /// The first line <c>step-ca version</c> prints (<c>Smallstep CA/0.19.0 (linux/amd64)</c>), or why it could not
    /// be read; for the dashboard, so it shows the binary that actually runs.
    /// </summary>
    internal static async Task<string> VersionAsync(string executable, CancellationToken cancellationToken)
    {
        var info = new System.Diagnostics.ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("version");
        try
        {
            using var process = System.Diagnostics.Process.Start(info)!;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                return "unknown ('step-ca version' did not answer within 10 s)";
            }

            var first = (await stdout + await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
            return process.ExitCode == 0 && first is not null ? first : $"unknown ('step-ca version' exited with {process.ExitCode}: {first})";
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return $"unknown ('step-ca version' could not start: {ex.Message})";
        }
    }

    internal static SocketsHttpHandler CreateHandler(X509Certificate2 root, Uri? primaryUrl, string? servingAddress)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.Add(root);
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy },
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        };
        var target = ConnectTarget(servingAddress);
        if (primaryUrl is not null && target is not null)
        {
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var endpoint = context.DnsEndPoint;
                var (host, port) = string.Equals(endpoint.Host, primaryUrl.IdnHost, StringComparison.OrdinalIgnoreCase) && endpoint.Port == primaryUrl.Port
                    ? target.Value
                    : (endpoint.Host, endpoint.Port);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        return handler;
    }

    /// <summary>Where to connect for a served address: a wildcard host becomes the loopback address.</summary>
    internal static (string Host, int Port)? ConnectTarget(string? servingAddress)
    {
        if (!StepCaOptionsValidator.TryParseAddress(servingAddress, out var host, out var port, out _))
        {
            return null;
        }

        return host switch
        {
            "" or "0.0.0.0" => ("127.0.0.1", port),
            "::" => ("::1", port),
            _ => (host, port),
        };
    }
}
