namespace LocalTls.Tests;

public class SmokeTests
{
    [Fact]
    public void Runs() => Assert.Equal(0, LocalTls.Cli.LocalTlsCommand.Run([], TextWriter.Null, TextWriter.Null));
}
