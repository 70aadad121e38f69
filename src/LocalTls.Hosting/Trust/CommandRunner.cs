using System.Diagnostics;

namespace LocalTls.Trust;

/// <summary>A program and its arguments, printed as a person would type it.</summary>
internal sealed record CommandLine(string FileName, IReadOnlyList<string> Arguments)
{
    public CommandLine(string fileName, params string[] arguments) : this(fileName, (IReadOnlyList<string>)arguments)
    {
    }

    /// <summary>The same command run through <c>sudo</c>.</summary>
    public CommandLine WithSudo() => new("sudo", [FileName, .. Arguments]);

    public override string ToString() => string.Join(' ', new[] { FileName }.Concat(Arguments).Select(Quote));

    private static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,@%+".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}

internal sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    public string Output => (Stdout + Stderr).Trim();
}

/// <summary>Runs the store tools (certutil, keytool, update-ca-certificates, security). Tests swap it to record system commands instead of running them.</summary>
internal interface ICommandRunner
{
    CommandResult Run(CommandLine command);
}

internal sealed class ProcessCommandRunner : ICommandRunner
{
    public static readonly ProcessCommandRunner Instance = new();

    public CommandResult Run(CommandLine command)
    {
        // Standard input stays the terminal's, so sudo can ask for a password.
        var info = new ProcessStartInfo(command.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new TrustException($"Could not start '{command}'.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new TrustException($"Could not start '{command}': {e.Message}");
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                process.Kill(entireProcessTree: true);
                throw new TrustException($"'{command}' did not finish in 5 minutes.");
            }

            return new CommandResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
        }
    }
}
