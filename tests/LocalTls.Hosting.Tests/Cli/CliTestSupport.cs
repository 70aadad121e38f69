using LocalTls.Cli;

namespace LocalTls.Tests.Cli;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr);

public static class LocalTlsCli
{
    public static CliResult Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = LocalTlsCommand.Run(args, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }
}
