using System.Net;
using System.Net.Sockets;
using System.Text;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using LocalTls.Cli;

namespace LocalTls.Tests.Cli;

public class DnsCommandTests
{
    private sealed class LockedWriter : TextWriter
    {
        private readonly StringBuilder _text = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_text)
            {
                _text.Append(value);
            }
        }

        public override string ToString()
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    [Fact]
    public async Task Serve_answers_until_cancelled_then_exits_0()
    {
        var port = FreeUdpPort();
        var stdout = new LockedWriter();
        using var cts = new CancellationTokenSource();
        var run = Task.Run(() => LocalTlsCommand.Run(["dns", "serve", "--listen", $"127.0.0.1:{port}"], stdout, TextWriter.Null, cts.Token));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!stdout.ToString().Contains("Answering") && DateTime.UtcNow < deadline && !run.IsCompleted)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.Contains($"127.0.0.1:{port}", stdout.ToString());
        using var client = new DnsClient([IPAddress.Loopback], [new UdpClientTransport(port)], disposeTransport: true, queryTimeout: 5000);
        var answer = await client.ResolveAsync(DomainName.Parse("app.10.1.2.3.sslip.io"), RecordType.A, token: TestContext.Current.CancellationToken);
        Assert.NotNull(answer);
        Assert.Equal(IPAddress.Parse("10.1.2.3"), Assert.IsType<ARecord>(Assert.Single(answer.AnswerRecords)).Address);

        cts.Cancel();
        Assert.Equal(0, await run);
        Assert.Contains("Stopped after 1 queries", stdout.ToString());
    }

    [Fact]
    public void A_port_in_use_is_exit_3_with_what_to_do()
    {
        using var taken = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)taken.Client.LocalEndPoint!).Port;
        var result = LocalTlsCli.Run("dns", "serve", "--listen", $"127.0.0.1:{port}");
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("already in use", result.Stderr);
        Assert.Contains("--listen", result.Stderr);
    }

    [Theory]
    [InlineData("localhost:53", "is not an address:port")]
    [InlineData("127.0.0.1", "is not an address:port")]
    [InlineData("8.8.8.8:5353", "loopback")]
    public void Bad_listen_addresses_are_exit_2(string listen, string expected)
    {
        var result = LocalTlsCli.Run("dns", "serve", "--listen", listen);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
    }

    private static int FreeUdpPort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }
}
