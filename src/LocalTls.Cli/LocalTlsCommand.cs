using System.CommandLine;
using LocalTls.Pki;

namespace LocalTls.Cli;

/// <summary>What the exit code of <c>localtls</c> means.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The command line itself is wrong (unknown option, missing value).</summary>
    public const int Usage = 1;

    /// <summary>An input is wrong: a PEM, a host name, an option value. The message says what to write.</summary>
    public const int BadInput = 2;

    /// <summary>The machine is in the way: a directory is not writable, a port is taken, a program is missing.</summary>
    public const int Environment = 3;

    /// <summary>The ACME server refused or failed (a problem document, an unreachable server, a validation that never completed). The message says what to do.</summary>
    public const int Acme = 4;

    /// <summary><c>localtls doctor</c> found something that needs action (an error or a warning); the report says what to do.</summary>
    public const int Findings = 5;
}

/// <summary>The <c>localtls</c> command line.</summary>
internal static class LocalTlsCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        var root = Build(stdout, stderr);
        var result = root.Parse(args);
        return result.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr }, cancellationToken).GetAwaiter().GetResult();
    }

    public static RootCommand Build(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand(
            "localtls: a local development CA, step-ca configuration, Kubernetes manifests and offline sslip.io DNS, for the same ACME " +
            "workflow locally as with Let's Encrypt in production.\n\n" +
            "Exit codes: 0 success, 1 wrong command line, 2 bad input (the message says what to write), 3 the machine is in the way (unwritable directory, port in use, missing program), 4 the ACME server refused or failed, 5 'doctor' found something that needs action.");
        root.Subcommands.Add(CaCommands.Build(stdout, stderr));
        root.Subcommands.Add(StepCaCommands.Build(stdout, stderr));
        root.Subcommands.Add(DnsCommands.Build(stdout, stderr));
        root.Subcommands.Add(ManifestsCommand.Build(stdout, stderr));
        root.Subcommands.Add(AcmeCommands.Build(stdout, stderr));
        root.Subcommands.Add(TrustCommands.Build(stdout, stderr));
        root.Subcommands.Add(DoctorCommand.Build(stdout, stderr));
        return root;
    }

    /// <summary>Runs a command body, turning the errors a user can fix into a message and an exit code instead of a stack trace.</summary>
    public static async Task<int> Guard(TextWriter stderr, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (LocalTls.Acme.AcmeException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.Acme;
        }
        catch (Exception e) when (e is PkiException or FormatException or ArgumentException)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException or FileNotFoundException or InvalidOperationException)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.Environment;
        }
    }

    public static int Guard(TextWriter stderr, Func<int> body) => Guard(stderr, () => Task.FromResult(body())).GetAwaiter().GetResult();

    /// <summary>Reads a file named on the command line, with a message that names the option when it cannot be read.</summary>
    public static string ReadInput(string path, string option)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{option} {path}: {e.Message}", e);
        }
    }
}
