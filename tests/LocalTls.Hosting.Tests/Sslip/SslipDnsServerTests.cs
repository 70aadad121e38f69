using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using LocalTls.Sslip;

namespace LocalTls.Tests.Sslip;

public sealed class SslipDnsServerTests : IAsyncLifetime
{
    private static readonly SslipDnsServerOptions AnyPort = new() { EndPoint = new IPEndPoint(IPAddress.Loopback, 0) };

    private SslipDnsServer _server = null!;

    public ValueTask InitializeAsync()
    {
        _server = SslipDnsServer.Start(AnyPort);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private static async Task<DnsMessage> QueryAsync(SslipDnsServer server, string name, RecordType type, bool tcp = false)
    {
        IClientTransport transport = tcp ? new TcpClientTransport(server.Port) : new UdpClientTransport(server.Port);
        using var client = new DnsClient([server.EndPoint.Address], [transport], disposeTransport: true, queryTimeout: 5000);
        var response = await client.ResolveAsync(DomainName.Parse(name), type, token: TestContext.Current.CancellationToken);
        return response ?? throw new InvalidOperationException($"No answer from {server.EndPoint} for {name} {type}");
    }

    private Task<DnsMessage> QueryAsync(string name, RecordType type, bool tcp = false) => QueryAsync(_server, name, type, tcp);

    [Fact]
    public void Binds_an_actual_port_when_asked_for_port_0()
    {
        Assert.NotEqual(0, _server.Port);
        Assert.Equal(IPAddress.Loopback, _server.EndPoint.Address);
        Assert.True(_server.IsTcpEnabled);
        Assert.Equal(["sslip.io", "nip.io"], _server.Zones);
    }

    [Theory]
    [InlineData("app.127.0.0.1.sslip.io", "127.0.0.1")]
    [InlineData("app-192-168-5-2.sslip.io", "192.168.5.2")]
    [InlineData("c0a80502.nip.io", "192.168.5.2")]
    [InlineData("API.10.0.0.1.NIP.IO", "10.0.0.1")]
    public async Task Answers_A_for_names_with_an_IPv4_address(string name, string address)
    {
        var response = await QueryAsync(name, RecordType.A);

        Assert.Equal(ReturnCode.NoError, response.ReturnCode);
        Assert.True(response.IsAuthoritiveAnswer);
        Assert.False(response.IsRecursionAllowed);
        var record = Assert.IsType<ARecord>(Assert.Single(response.AnswerRecords));
        Assert.Equal(IPAddress.Parse(address), record.Address);
        Assert.Equal(60, record.TimeToLive);
        Assert.Equal(name.ToLowerInvariant(), record.Name.ToString().TrimEnd('.').ToLowerInvariant());
    }

    [Theory]
    [InlineData("app.2001-db8--1.sslip.io", "2001:db8::1")]
    [InlineData("--1.sslip.io", "::1")]
    public async Task Answers_AAAA_for_names_with_an_IPv6_address(string name, string address)
    {
        var response = await QueryAsync(name, RecordType.Aaaa);

        Assert.Equal(ReturnCode.NoError, response.ReturnCode);
        Assert.True(response.IsAuthoritiveAnswer);
        var record = Assert.IsType<AaaaRecord>(Assert.Single(response.AnswerRecords));
        Assert.Equal(IPAddress.Parse(address), record.Address);
    }

    [Theory]
    [InlineData("app.127.0.0.1.sslip.io", RecordType.Aaaa)]
    [InlineData("app.2001-db8--1.sslip.io", RecordType.A)]
    [InlineData("app.127.0.0.1.sslip.io", RecordType.Txt)]
    [InlineData("app.127.0.0.1.sslip.io", RecordType.Mx)]
    public async Task Answers_no_data_for_the_other_types(string name, RecordType type)
    {
        var response = await QueryAsync(name, type);

        Assert.Equal(ReturnCode.NoError, response.ReturnCode);
        Assert.True(response.IsAuthoritiveAnswer);
        Assert.Empty(response.AnswerRecords);
        var soa = Assert.IsType<SoaRecord>(Assert.Single(response.AuthorityRecords));
        Assert.Equal(5, soa.NegativeCachingTTL);
    }

    [Theory]
    [InlineData("app.sslip.io")]
    [InlineData("192.168.5.256.nip.io")]
    [InlineData("192.168.5.2.app.sslip.io")]
    public async Task Answers_NXDOMAIN_for_names_in_the_zones_without_a_usable_address(string name)
    {
        var response = await QueryAsync(name, RecordType.A);

        Assert.Equal(ReturnCode.NxDomain, response.ReturnCode);
        Assert.True(response.IsAuthoritiveAnswer);
        Assert.Empty(response.AnswerRecords);
        Assert.IsType<SoaRecord>(Assert.Single(response.AuthorityRecords));
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("127.0.0.1.xip.io")]
    [InlineData("io")]
    public async Task Refuses_names_outside_the_zones(string name)
    {
        var response = await QueryAsync(name, RecordType.A);

        Assert.Equal(ReturnCode.Refused, response.ReturnCode);
        Assert.False(response.IsAuthoritiveAnswer);
        Assert.Empty(response.AnswerRecords);
    }

    [Fact]
    public async Task Answers_SOA_and_NS_at_the_zone_apex_with_a_name_server_that_resolves_here()
    {
        var soaResponse = await QueryAsync("sslip.io", RecordType.Soa);
        var soa = Assert.IsType<SoaRecord>(Assert.Single(soaResponse.AnswerRecords));
        Assert.True(soaResponse.IsAuthoritiveAnswer);
        Assert.Equal("ns-127-0-0-1.sslip.io.", soa.MasterName.ToString());
        Assert.Equal("hostmaster.sslip.io.", soa.ResponsibleName.ToString());

        var nsResponse = await QueryAsync("nip.io", RecordType.Ns);
        var ns = Assert.IsType<NsRecord>(Assert.Single(nsResponse.AnswerRecords));
        Assert.Equal("ns-127-0-0-1.nip.io.", ns.NameServer.ToString());
        var glue = Assert.Single(nsResponse.AdditionalRecords.OfType<ARecord>()); // besides the EDNS OPT record
        Assert.Equal(IPAddress.Loopback, glue.Address);

        var nsAddress = await QueryAsync(ns.NameServer.ToString(), RecordType.A);
        Assert.Equal(IPAddress.Loopback, Assert.IsType<ARecord>(Assert.Single(nsAddress.AnswerRecords)).Address);

        var apexA = await QueryAsync("sslip.io", RecordType.A);
        Assert.Equal(ReturnCode.NoError, apexA.ReturnCode);
        Assert.Empty(apexA.AnswerRecords);
    }

    [Fact]
    public async Task Serves_TXT_records_that_are_set_and_forgets_removed_ones()
    {
        const string name = "_acme-challenge.app.127.0.0.1.sslip.io";
        var before = await QueryAsync(name, RecordType.Txt);
        Assert.Equal(ReturnCode.NxDomain, before.ReturnCode);

        _server.SetTxt(name, "token-one");
        _server.SetTxt(name.ToUpperInvariant() + ".", "token-two");
        _server.SetTxt(name, "token-one"); // already there

        var both = await QueryAsync(name, RecordType.Txt);
        Assert.Equal(ReturnCode.NoError, both.ReturnCode);
        Assert.True(both.IsAuthoritiveAnswer);
        var values = both.AnswerRecords.Cast<TxtRecord>().Select(r => r.TextData).Order().ToArray();
        Assert.Equal(["token-one", "token-two"], values);
        Assert.All(both.AnswerRecords, r => Assert.Equal(5, r.TimeToLive));
        Assert.Equal(["token-one", "token-two"], _server.GetTxt(name));

        // the name exists now: other types get no data, not NXDOMAIN
        var a = await QueryAsync(name, RecordType.A);
        Assert.Equal(ReturnCode.NoError, a.ReturnCode);
        Assert.Empty(a.AnswerRecords);

        Assert.True(_server.RemoveTxt(name, "token-one"));
        Assert.False(_server.RemoveTxt(name, "token-one"));
        var one = await QueryAsync(name, RecordType.Txt);
        Assert.Equal("token-two", Assert.IsType<TxtRecord>(Assert.Single(one.AnswerRecords)).TextData);

        Assert.True(_server.RemoveTxt(name, "token-two"));
        var gone = await QueryAsync(name, RecordType.Txt);
        Assert.Equal(ReturnCode.NxDomain, gone.ReturnCode);
        Assert.Empty(_server.GetTxt(name));
    }

    [Fact]
    public async Task Serves_TXT_records_for_names_outside_the_zones()
    {
        const string name = "_acme-challenge.app.example.test";
        Assert.Equal(ReturnCode.Refused, (await QueryAsync(name, RecordType.Txt)).ReturnCode);

        _server.SetTxt(name, "outside");
        var txt = await QueryAsync(name, RecordType.Txt);
        Assert.Equal(ReturnCode.NoError, txt.ReturnCode);
        Assert.True(txt.IsAuthoritiveAnswer);
        Assert.Equal("outside", Assert.IsType<TxtRecord>(Assert.Single(txt.AnswerRecords)).TextData);

        var a = await QueryAsync(name, RecordType.A);
        Assert.Equal(ReturnCode.NoError, a.ReturnCode);
        Assert.Empty(a.AnswerRecords);

        _server.RemoveTxt(name, "outside");
        Assert.Equal(ReturnCode.Refused, (await QueryAsync(name, RecordType.Txt)).ReturnCode);
    }

    [Fact]
    public async Task A_name_above_a_TXT_record_is_not_NXDOMAIN()
    {
        // "_acme-challenge.x.sslip.io" makes "x.sslip.io" an empty non-terminal: resolvers that minimise query
        // names would otherwise stop at its NXDOMAIN and never ask for the TXT record.
        Assert.Equal(ReturnCode.NxDomain, (await QueryAsync("x.sslip.io", RecordType.A)).ReturnCode);
        _server.SetTxt("_acme-challenge.x.sslip.io", "v");
        var parent = await QueryAsync("x.sslip.io", RecordType.A);
        Assert.Equal(ReturnCode.NoError, parent.ReturnCode);
        Assert.Empty(parent.AnswerRecords);
    }

    [Fact]
    public async Task Long_TXT_values_are_split_into_255_character_strings()
    {
        var value = new string('v', 300);
        _server.SetTxt("long.example.test", value);

        var response = await QueryAsync("long.example.test", RecordType.Txt, tcp: true);
        var record = Assert.IsType<TxtRecord>(Assert.Single(response.AnswerRecords));
        Assert.Equal([255, 45], record.TextParts.Select(p => p.Length));
        Assert.Equal(value, record.TextData);
    }

    [Fact]
    public async Task Large_answers_are_truncated_over_UDP_and_complete_over_TCP()
    {
        const string name = "_acme-challenge.many.127.0.0.1.sslip.io";
        for (var i = 0; i < 40; i++)
        {
            _server.SetTxt(name, $"{i:D2}-{new string('x', 40)}"); // about the size of DNS-01 tokens
        }

        // The client sends over UDP, sees TC, and repeats the query over TCP.
        using var client = new DnsClient([_server.EndPoint.Address], [new UdpClientTransport(_server.Port), new TcpClientTransport(_server.Port)], disposeTransport: true);
        var response = await client.ResolveAsync(DomainName.Parse(name), RecordType.Txt, token: TestContext.Current.CancellationToken);

        Assert.NotNull(response);
        Assert.False(response.IsTruncated);
        Assert.Equal(40, response.AnswerRecords.Count);
        Assert.Equal(2, _server.QueryCount);
    }

    [Fact]
    public void Rejects_invalid_TXT_names_and_values()
    {
        var name = Assert.Throws<ArgumentException>(() => _server.SetTxt("bad name", "x"));
        Assert.Contains("Invalid TXT record name", name.Message);
        Assert.Contains("a space", name.Message);

        var value = Assert.Throws<ArgumentException>(() => _server.SetTxt("ok.example.test", "caf\u00e9"));
        Assert.Contains("printable ASCII", value.Message);
    }

    [Fact]
    public async Task The_TXT_store_is_thread_safe()
    {
        const string name = "_acme-challenge.busy.127.0.0.1.sslip.io";
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                _server.SetTxt(name, $"w{w}-{i}");
                if (i % 2 == 1)
                {
                    Assert.True(_server.RemoveTxt(name, $"w{w}-{i}"));
                }
            }
        }));
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                var response = await QueryAsync(name, RecordType.Txt, tcp: true);
                Assert.NotEqual(ReturnCode.ServerFailure, response.ReturnCode);
            }
        }));

        await Task.WhenAll(writers.Concat(readers));

        Assert.Equal(8 * 50, _server.GetTxt(name).Count);
    }

    [Fact]
    public async Task Answers_over_TCP_on_the_same_port()
    {
        var response = await QueryAsync("app.10.1.2.3.sslip.io", RecordType.A, tcp: true);
        Assert.Equal(IPAddress.Parse("10.1.2.3"), Assert.IsType<ARecord>(Assert.Single(response.AnswerRecords)).Address);
    }

    [Fact]
    public async Task Counts_queries_by_outcome()
    {
        await QueryAsync("app.127.0.0.1.sslip.io", RecordType.A);
        await QueryAsync("app.127.0.0.1.sslip.io", RecordType.Aaaa);
        await QueryAsync("nothing.sslip.io", RecordType.A);
        await QueryAsync("example.com", RecordType.A);
        await QueryAsync("example.com", RecordType.A);

        Assert.Equal(5, _server.QueryCount);
        Assert.Equal(1, _server.AnsweredCount);
        Assert.Equal(1, _server.NoDataCount);
        Assert.Equal(1, _server.NxDomainCount);
        Assert.Equal(2, _server.RefusedCount);
        Assert.Equal(0, _server.ErrorCount);
    }

    [Fact]
    public async Task Answers_FORMERR_to_several_questions_and_NOTIMP_to_updates()
    {
        using var client = new DnsClient([_server.EndPoint.Address], [new UdpClientTransport(_server.Port)], disposeTransport: true);
        var twoQuestions = new DnsMessage { IsRecursionDesired = false };
        twoQuestions.Questions.Add(new DnsQuestion(DomainName.Parse("a.127.0.0.1.sslip.io"), RecordType.A, RecordClass.INet));
        twoQuestions.Questions.Add(new DnsQuestion(DomainName.Parse("b.127.0.0.1.sslip.io"), RecordType.A, RecordClass.INet));
        var formErr = await client.SendMessageAsync(twoQuestions, TestContext.Current.CancellationToken);
        Assert.Equal(ReturnCode.FormatError, formErr?.ReturnCode);

        var update = new ARSoft.Tools.Net.Dns.DynamicUpdate.DnsUpdateMessage { ZoneName = DomainName.Parse("sslip.io") };
        var notImp = await client.SendUpdateAsync(update, TestContext.Current.CancellationToken);
        Assert.Equal(ReturnCode.NotImplemented, notImp?.ReturnCode);

        Assert.Equal(2, _server.RefusedCount);
    }

    [Fact]
    public async Task Survives_garbage_datagrams()
    {
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var target = _server.EndPoint;
        await udp.SendAsync(new byte[] { 1, 2, 3 }, target, TestContext.Current.CancellationToken);
        await udp.SendAsync(Enumerable.Repeat((byte)0xff, 40).ToArray(), target, TestContext.Current.CancellationToken);

        var response = await QueryAsync("app.127.0.0.1.sslip.io", RecordType.A);
        Assert.Single(response.AnswerRecords);
    }

    [Fact]
    public async Task A_port_in_use_fails_with_a_message_naming_the_endpoint_and_what_to_do()
    {
        var e = Assert.Throws<InvalidOperationException>(() => SslipDnsServer.Start(new SslipDnsServerOptions { EndPoint = _server.EndPoint }));
        Assert.Equal(
            $"Cannot start the sslip.io DNS server: 127.0.0.1:{_server.Port} (UDP) is already in use; pass a different --listen address/port or stop the other process.",
            e.Message);
        Assert.IsType<SocketException>(e.InnerException);

        // The same when only TCP is taken.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var tcp = Assert.Throws<InvalidOperationException>(() => SslipDnsServer.Start(new SslipDnsServerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, port) }));
        Assert.Contains($"127.0.0.1:{port} (TCP) is already in use", tcp.Message);
        Assert.Contains("pass a different --listen address/port or stop the other process", tcp.Message);

        // A failed start leaves nothing bound behind: the UDP port is free again.
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));

        // ... and the running server is unaffected.
        Assert.Single((await QueryAsync("app.127.0.0.1.sslip.io", RecordType.A)).AnswerRecords);
    }

    [Fact]
    public async Task Disposing_releases_the_port()
    {
        var server = SslipDnsServer.Start(AnyPort);
        var endPoint = server.EndPoint;
        await server.DisposeAsync();
        await server.DisposeAsync(); // idempotent

        await using var again = SslipDnsServer.Start(new SslipDnsServerOptions { EndPoint = endPoint });
        Assert.Equal(endPoint, again.EndPoint);
        Assert.Single((await QueryAsync(again, "app.127.0.0.1.sslip.io", RecordType.A)).AnswerRecords);
    }

    [Fact]
    public void Only_loopback_addresses_are_accepted()
    {
        var e = Assert.Throws<ArgumentException>(() => SslipDnsServer.Start(new SslipDnsServerOptions { EndPoint = new IPEndPoint(IPAddress.Any, 0) }));
        Assert.Contains("only listens on loopback addresses, but 0.0.0.0:0 was given", e.Message);
        Assert.Contains("use 127.0.0.1 or ::1", e.Message);
    }

    [Fact]
    public async Task All_interfaces_only_when_allowed_for_a_step_ca_in_a_container()
    {
        var e = Assert.Throws<ArgumentException>(() => SslipDnsServer.Start(new SslipDnsServerOptions { EndPoint = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 0), AllowAllInterfaces = true }));
        Assert.Contains("only listens on loopback addresses", e.Message);

        await using var server = SslipDnsServer.Start(new SslipDnsServerOptions { EndPoint = new IPEndPoint(IPAddress.Any, 0), AllowAllInterfaces = true });
        Assert.Equal(IPAddress.Any, server.EndPoint.Address);
        foreach (var transport in new IClientTransport[] { new UdpClientTransport(server.Port), new TcpClientTransport(server.Port) })
        {
            using var client = new DnsClient([IPAddress.Loopback], [transport], disposeTransport: true, queryTimeout: 5000);
            var answer = await client.ResolveAsync(DomainName.Parse("app.10.0.0.1.sslip.io"), RecordType.A, token: TestContext.Current.CancellationToken);
            Assert.Equal(IPAddress.Parse("10.0.0.1"), Assert.IsType<ARecord>(Assert.Single(answer!.AnswerRecords)).Address);
        }
    }

    [Fact]
    public async Task Options_change_TTL_zones_and_transports()
    {
        await using var server = SslipDnsServer.Start(new SslipDnsServerOptions
        {
            EndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Ttl = TimeSpan.FromSeconds(300),
            TxtTtl = TimeSpan.FromSeconds(1),
            Zones = ["local.test"],
            EnableTcp = false,
        });

        Assert.False(server.IsTcpEnabled);
        var a = await QueryAsync(server, "app.127.0.0.1.local.test", RecordType.A);
        Assert.Equal(300, Assert.Single(a.AnswerRecords).TimeToLive);
        Assert.Equal(ReturnCode.Refused, (await QueryAsync(server, "app.127.0.0.1.sslip.io", RecordType.A)).ReturnCode);
        var nx = await QueryAsync(server, "app.local.test", RecordType.A);
        Assert.Equal(1, Assert.IsType<SoaRecord>(Assert.Single(nx.AuthorityRecords)).NegativeCachingTTL);

        // Without TCP nothing listens on the port: a connection is refused. (Binding the port ourselves would also
        // fail when any other socket on this machine happens to use that number as its local port.)
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.Port), TestContext.Current.CancellationToken).AsTask());
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task Listens_on_IPv6_loopback()
    {
        if (!Socket.OSSupportsIPv6)
        {
            Assert.Fail("IPv6 is not available on this machine; the server must be able to listen on ::1");
        }

        await using var server = SslipDnsServer.Start(new SslipDnsServerOptions { EndPoint = new IPEndPoint(IPAddress.IPv6Loopback, 0) });
        var ns = await QueryAsync(server, "sslip.io", RecordType.Ns);
        Assert.Equal("ns.--1.sslip.io.", Assert.IsType<NsRecord>(Assert.Single(ns.AnswerRecords)).NameServer.ToString());
        var aaaa = await QueryAsync(server, "ns.--1.sslip.io", RecordType.Aaaa);
        Assert.Equal(IPAddress.IPv6Loopback, Assert.IsType<AaaaRecord>(Assert.Single(aaaa.AnswerRecords)).Address);
    }

    [Fact]
    public async Task Real_dig_resolves_names_from_the_server()
    {
        var port = _server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var shortAnswer = await RunDigAsync("@127.0.0.1", "-p", port, "app.127.0.0.1.sslip.io", "A", "+short");
        Assert.Equal("127.0.0.1", shortAnswer.Trim());

        var overTcp = await RunDigAsync("@127.0.0.1", "-p", port, "app.2001-db8--1.sslip.io", "AAAA", "+short", "+tcp");
        Assert.Equal("2001:db8::1", overTcp.Trim());

        var full = await RunDigAsync("@127.0.0.1", "-p", port, "nothing.sslip.io", "A");
        Assert.Contains("status: NXDOMAIN", full);
        Assert.Matches(@"flags: qr aa rd;", full); // authoritative, recursion not available
    }

    private static async Task<string> RunDigAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dig") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("dig did not start");
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"'dig' is not on PATH ({e.Message}); install it with `apt-get install dnsutils` (Debian/Ubuntu) or your platform's bind tools package.");
            throw;
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(20));
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"dig {string.Join(' ', arguments)} exited with {process.ExitCode}: {await error}");
            return await output;
        }
    }
}
