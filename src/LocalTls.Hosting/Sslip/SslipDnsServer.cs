using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace LocalTls.Sslip;

/// <summary>
/// An embedded, authoritative DNS server for <c>sslip.io</c> and <c>nip.io</c> names on a loopback endpoint, so
/// that sslip.io hostnames resolve without reaching the public service.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>A name that embeds an IPv4 address (as <see cref="SslipHostname"/> parses it) gets an A answer, one
/// that embeds an IPv6 address an AAAA answer; other types for such a name get an empty NOERROR (no data).</item>
/// <item>Names in the zones that embed no usable address get NXDOMAIN; names outside the zones get REFUSED.</item>
/// <item>The zone apex answers SOA and NS (the NS name embeds the listening address, so it resolves here).</item>
/// <item>TXT records set with <see cref="SetTxt"/> are answered for any name, inside the zones or not (DNS-01).</item>
/// <item>All answers from the zones or the TXT store carry the AA flag; recursion is never offered.</item>
/// </list>
/// </remarks>
internal sealed class SslipDnsServer : IAsyncDisposable
{
    private const int MaxTxtChunk = 255;
    private const int PortZeroAttempts = 20;

    private readonly DnsServer _server;
    private readonly LoopbackUdpServerTransport _udp;
    private readonly IServerTransport? _tcp;
    private readonly IReadOnlyList<string> _zones;
    private readonly SslipAnswerRules? _rules;
    private readonly int _ttl;
    private readonly int _negativeTtl;
    private readonly int _txtTtl;
    private readonly uint _serial;
    private readonly Dictionary<string, List<string>> _txt = new(StringComparer.Ordinal);
    private readonly Lock _txtLock = new();
    private long _queries;
    private long _answered;
    private long _noData;
    private long _nxDomain;
    private long _refused;
    private long _errors;
    private int _disposed;

    private SslipDnsServer(
        DnsServer server,
        LoopbackUdpServerTransport udp,
        IServerTransport? tcp,
        IReadOnlyList<string> zones,
        SslipDnsServerOptions options)
    {
        _server = server;
        _udp = udp;
        _tcp = tcp;
        _zones = zones;
        _rules = options.Rules;
        _ttl = (int)options.Ttl.TotalSeconds;
        _txtTtl = (int)options.TxtTtl.TotalSeconds;
        _negativeTtl = Math.Min(_ttl, _txtTtl);
        _serial = (uint)(DateTimeOffset.UtcNow.ToUnixTimeSeconds() & 0x7FFFFFFF);
        EndPoint = udp.LocalEndPoint;
        _server.QueryReceived += OnQueryReceivedAsync;
        _server.ExceptionThrown += OnExceptionThrownAsync;
    }

    /// <summary>The endpoint the server listens on, with the actual port when port 0 was requested.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The port the server listens on (UDP, and TCP when enabled).</summary>
    public int Port => EndPoint.Port;

    /// <summary>True when the server also answers over TCP on <see cref="Port"/>.</summary>
    public bool IsTcpEnabled => _tcp is not null;

    /// <summary>The zones the server is authoritative for, lower case, longest first.</summary>
    public IReadOnlyList<string> Zones => _zones;

    /// <summary>Queries received (all transports, all outcomes).</summary>
    public long QueryCount => Interlocked.Read(ref _queries);

    /// <summary>Queries answered with at least one record.</summary>
    public long AnsweredCount => Interlocked.Read(ref _answered);

    /// <summary>Queries answered NOERROR without records (the name exists, the type does not).</summary>
    public long NoDataCount => Interlocked.Read(ref _noData);

    /// <summary>Queries answered NXDOMAIN (in a zone, but no usable address embedded and no TXT records).</summary>
    public long NxDomainCount => Interlocked.Read(ref _nxDomain);

    /// <summary>
    /// Queries answered REFUSED (outside the zones) or with another error code (FORMERR for several questions,
    /// NOTIMP for anything but a standard query).
    /// </summary>
    public long RefusedCount => Interlocked.Read(ref _refused);

    /// <summary>Errors reported by the DNS library while receiving, answering or sending.</summary>
    public long ErrorCount => Interlocked.Read(ref _errors);

    /// <summary>Starts a server listening on <see cref="SslipDnsServerOptions.EndPoint"/>.</summary>
    /// <param name="options">Settings; defaults (127.0.0.1:53535, UDP and TCP, sslip.io and nip.io) when null.</param>
    /// <returns>The running server; dispose it to stop.</returns>
    /// <exception cref="ArgumentException">The options are invalid (e.g. a non-loopback address).</exception>
    /// <exception cref="InvalidOperationException">The endpoint is already in use or cannot be bound.</exception>
    public static SslipDnsServer Start(SslipDnsServerOptions? options = null)
    {
        options ??= new SslipDnsServerOptions();
        var requested = options.EndPoint ?? throw new ArgumentException("EndPoint is required, e.g. 127.0.0.1:53535", nameof(options));
        if (!IPAddress.IsLoopback(requested.Address) && !(options.AllowAllInterfaces && requested.Address.Equals(IPAddress.Any)))
        {
            throw new ArgumentException(
                $"The sslip.io DNS server only listens on loopback addresses, but {requested} was given; use 127.0.0.1 or ::1, e.g. 127.0.0.1:{SslipDnsServerOptions.DefaultPort}",
                nameof(options));
        }

        CheckTtl(options.Ttl, nameof(options.Ttl));
        CheckTtl(options.TxtTtl, nameof(options.TxtTtl));
        var zones = options.Rules?.Zones ?? SslipHostname.NormalizeZones(options.Zones);

        var attempts = requested.Port == 0 ? PortZeroAttempts : 1;
        for (var attempt = 1; ; attempt++)
        {
            var udp = new LoopbackUdpServerTransport(requested);
            IServerTransport? tcp = null;
            try
            {
                Bind(udp.Bind, requested, "UDP");
                if (options.EnableTcp)
                {
                    // ARSoft's TCP transport hides its listener, so it is bound here to the port UDP got.
                    var tcpEndPoint = new IPEndPoint(requested.Address, udp.LocalEndPoint.Port);
                    tcp = new TcpServerTransport(tcpEndPoint);
                    Bind(tcp.Bind, tcpEndPoint, "TCP");
                }

                var server = new DnsServer(tcp is null ? [udp] : [udp, tcp]);
                var result = new SslipDnsServer(server, udp, tcp, zones, options);
                server.Start();
                return result;
            }
            catch (InvalidOperationException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } && attempt < attempts)
            {
                // Port 0: UDP found a free port that TCP cannot have; try another.
                udp.Dispose();
                tcp?.Dispose();
            }
            catch
            {
                udp.Dispose();
                tcp?.Dispose();
                throw;
            }
        }
    }

    private static void CheckTtl(TimeSpan ttl, string name)
    {
        if (ttl < TimeSpan.Zero || ttl.TotalSeconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(name, ttl, $"{name} must be between 0 and {int.MaxValue} seconds, e.g. 60 seconds");
        }
    }

    private static void Bind(Action bind, IPEndPoint endPoint, string protocol)
    {
        try
        {
            bind();
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new InvalidOperationException(
                $"Cannot start the sslip.io DNS server: {endPoint} ({protocol}) is already in use; pass a different --listen address/port or stop the other process.",
                e);
        }
        catch (SocketException e)
        {
            throw new InvalidOperationException(
                $"Cannot start the sslip.io DNS server on {endPoint} ({protocol}): {e.Message}; pass a different --listen address/port.",
                e);
        }
    }

    /// <summary>
    /// Adds a TXT value for a name (kept if already present). A name may carry several values, e.g. two
    /// concurrent DNS-01 challenges for <c>app.127.0.0.1.sslip.io</c> and <c>*.app.127.0.0.1.sslip.io</c>.
    /// The name need not be in the sslip.io zones. Thread-safe.
    /// </summary>
    /// <param name="name">The record name, e.g. <c>_acme-challenge.app.127.0.0.1.sslip.io</c>; case-insensitive, trailing dot optional.</param>
    /// <param name="value">The text, printable ASCII; values over 255 characters are sent as several strings.</param>
    /// <exception cref="ArgumentException">The name or value is invalid.</exception>
    public void SetTxt(string name, string value)
    {
        var key = NormalizeTxtName(name);
        CheckTxtValue(value);
        lock (_txtLock)
        {
            if (!_txt.TryGetValue(key, out var values))
            {
                _txt[key] = values = [];
            }

            if (!values.Contains(value))
            {
                values.Add(value);
            }
        }
    }

    /// <summary>Removes one TXT value from a name. Thread-safe.</summary>
    /// <param name="name">The record name; case-insensitive, trailing dot optional.</param>
    /// <param name="value">The value given to <see cref="SetTxt"/>.</param>
    /// <returns>True when the value was present.</returns>
    /// <exception cref="ArgumentException">The name is invalid.</exception>
    public bool RemoveTxt(string name, string value)
    {
        var key = NormalizeTxtName(name);
        ArgumentNullException.ThrowIfNull(value);
        lock (_txtLock)
        {
            if (!_txt.TryGetValue(key, out var values) || !values.Remove(value))
            {
                return false;
            }

            if (values.Count == 0)
            {
                _txt.Remove(key);
            }

            return true;
        }
    }

    /// <summary>The TXT values currently set for a name. Thread-safe.</summary>
    /// <param name="name">The record name; case-insensitive, trailing dot optional.</param>
    /// <returns>A snapshot of the values, in the order they were added.</returns>
    /// <exception cref="ArgumentException">The name is invalid.</exception>
    public IReadOnlyList<string> GetTxt(string name)
    {
        var key = NormalizeTxtName(name);
        return GetTxtCore(key);
    }

    /// <summary>Stops listening and releases the port.</summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _server.QueryReceived -= OnQueryReceivedAsync;
            _server.ExceptionThrown -= OnExceptionThrownAsync;
            try
            {
                _server.Stop();
            }
            catch (AggregateException e) when (e.InnerExceptions.All(x => x is OperationCanceledException))
            {
                // ARSoft's Stop waits for its listener tasks, which were started with the token it just
                // cancelled; when they had not run yet the wait throws and the transports stay open.
            }

            _udp.Close();
            _tcp?.Close();
            _udp.Dispose();
            _tcp?.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private static string NormalizeTxtName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var error = DnsNames.TryNormalize(name, allowUnderscore: true, "_acme-challenge.app.127.0.0.1.sslip.io", out var normalized);
        return error is null ? normalized : throw new ArgumentException($"Invalid TXT record name: {error}", nameof(name));
    }

    private static void CheckTxtValue(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        foreach (var c in value)
        {
            if (c is < ' ' or > '~')
            {
                throw new ArgumentException(
                    $"TXT values must be printable ASCII, but the value contains {DnsNames.DescribeChar(c)}; encode it first (DNS-01 values are base64url)",
                    nameof(value));
            }
        }
    }

    private string[] GetTxtCore(string key)
    {
        lock (_txtLock)
        {
            return _txt.TryGetValue(key, out var values) ? [.. values] : [];
        }
    }

    /// <summary>Whether TXT records exist at a name below <paramref name="key"/> (making it an empty non-terminal).</summary>
    private bool HasTxtBelow(string key)
    {
        var suffix = "." + key;
        lock (_txtLock)
        {
            foreach (var name in _txt.Keys)
            {
                if (name.EndsWith(suffix, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private Task OnExceptionThrownAsync(object sender, ExceptionEventArgs e)
    {
        Interlocked.Increment(ref _errors);
        return Task.CompletedTask;
    }

    private Task OnQueryReceivedAsync(object sender, QueryReceivedEventArgs e)
    {
        Interlocked.Increment(ref _queries);
        if (e.Query is DnsMessage query)
        {
            var response = Answer(query);
            Count(response);
            e.Response = response;
        }
        else if (e.Query is ARSoft.Tools.Net.Dns.DynamicUpdate.DnsUpdateMessage update)
        {
            var response = update.CreateResponseInstance();
            response.ReturnCode = ReturnCode.NotImplemented;
            Interlocked.Increment(ref _refused);
            e.Response = response;
        }

        return Task.CompletedTask;
    }

    private void Count(DnsMessage response)
    {
        switch (response.ReturnCode)
        {
            case ReturnCode.NxDomain:
                Interlocked.Increment(ref _nxDomain);
                break;
            case ReturnCode.NoError when response.AnswerRecords.Count > 0:
                Interlocked.Increment(ref _answered);
                break;
            case ReturnCode.NoError:
                Interlocked.Increment(ref _noData);
                break;
            default:
                Interlocked.Increment(ref _refused);
                break;
        }
    }

    private DnsMessage Answer(DnsMessage query)
    {
        var response = query.CreateResponseInstance();
        response.IsRecursionAllowed = false;
        response.IsAuthoritiveAnswer = false;
        if (query.OperationCode != OperationCode.Query)
        {
            response.ReturnCode = ReturnCode.NotImplemented;
            return response;
        }

        if (query.Questions.Count != 1)
        {
            response.ReturnCode = ReturnCode.FormatError;
            return response;
        }

        var question = query.Questions[0];
        if (question.RecordClass is not (RecordClass.INet or RecordClass.Any))
        {
            response.ReturnCode = ReturnCode.Refused;
            return response;
        }

        var qname = question.Name;
        var type = question.RecordType;
        var name = DnsNames.AsciiLower(string.Join('.', qname.Labels));
        var txt = GetTxtCore(name);
        var zone = FindZone(name);

        if (zone is null)
        {
            if (txt.Length == 0)
            {
                response.ReturnCode = ReturnCode.Refused;
                return response;
            }

            // Outside the zones, but a TXT record was set (DNS-01 for a name delegated here).
            response.IsAuthoritiveAnswer = true;
            if (type is RecordType.Txt or RecordType.Any)
            {
                AddTxt(response, qname, txt);
            }

            return response;
        }

        response.IsAuthoritiveAnswer = true;
        var zoneName = DomainName.Parse(zone);
        if (name.Length == zone.Length)
        {
            AnswerApex(response, qname, zone, type, txt);
        }
        else if (AddressOf(name) is { } address)
        {
            var isV4 = address.AddressFamily == AddressFamily.InterNetwork;
            if (type is RecordType.A or RecordType.Any && isV4)
            {
                response.AnswerRecords.Add(new ARecord(qname, _ttl, address));
            }

            if (type is RecordType.Aaaa or RecordType.Any && !isV4)
            {
                response.AnswerRecords.Add(new AaaaRecord(qname, _ttl, address));
            }

            if (type is RecordType.Txt or RecordType.Any)
            {
                AddTxt(response, qname, txt);
            }
        }
        else if (txt.Length > 0 || HasTxtBelow(name))
        {
            if (type is RecordType.Txt or RecordType.Any)
            {
                AddTxt(response, qname, txt);
            }
        }
        else
        {
            response.ReturnCode = ReturnCode.NxDomain;
        }

        if (response.AnswerRecords.Count == 0)
        {
            // NXDOMAIN or no data: the SOA tells resolvers how long to cache the negative answer (RFC 2308).
            response.AuthorityRecords.Add(CreateSoa(zoneName, zone, _negativeTtl));
        }

        return response;
    }

    /// <summary>The address a name in the zones carries: by the in-cluster rules when given, else by sslip.io's full rules.</summary>
    private IPAddress? AddressOf(string name) =>
        _rules is not null
            ? _rules.Answer(name)
            : SslipHostname.TryParse(name, allowWildcard: false, _zones, out var host, out _) ? host.Address : null;

    private void AnswerApex(DnsMessage response, DomainName qname, string zone, RecordType type, string[] txt)
    {
        if (type is RecordType.Soa or RecordType.Any)
        {
            response.AnswerRecords.Add(CreateSoa(qname, zone, _ttl));
        }

        if (type is RecordType.Ns or RecordType.Any)
        {
            var nameServer = NameServerName(zone);
            response.AnswerRecords.Add(new NsRecord(qname, _ttl, nameServer));
            response.AdditionalRecords.Add(EndPoint.AddressFamily == AddressFamily.InterNetwork
                ? new ARecord(nameServer, _ttl, EndPoint.Address)
                : new AaaaRecord(nameServer, _ttl, EndPoint.Address));
        }

        if (type is RecordType.Txt or RecordType.Any)
        {
            AddTxt(response, qname, txt);
        }
    }

    private void AddTxt(DnsMessage response, DomainName qname, string[] values)
    {
        foreach (var value in values)
        {
            response.AnswerRecords.Add(new TxtRecord(qname, _txtTtl, Chunk(value)));
        }

        // ARSoft silently cuts text blocks at 255 bytes, so long values are split into several strings.
        static IEnumerable<string> Chunk(string value)
        {
            if (value.Length == 0)
            {
                yield return value;
            }

            for (var i = 0; i < value.Length; i += MaxTxtChunk)
            {
                yield return value.Substring(i, Math.Min(MaxTxtChunk, value.Length - i));
            }
        }
    }

    /// <summary>The name server name for a zone; it embeds the listening address, so this server resolves it.</summary>
    private DomainName NameServerName(string zone) =>
        DomainName.Parse(SslipHostname.Create("ns", EndPoint.Address, zone, SslipForm.Dashed).Hostname);

    private SoaRecord CreateSoa(DomainName owner, string zone, int ttl) => new(
        owner,
        ttl,
        NameServerName(zone),
        DomainName.Parse("hostmaster." + zone),
        _serial,
        refreshInterval: 3600,
        retryInterval: 600,
        expireInterval: 86400,
        negativeCachingTTL: _negativeTtl);

    private string? FindZone(string name)
    {
        foreach (var zone in _zones)
        {
            if (name.Length == zone.Length ? name == zone : name.EndsWith("." + zone, StringComparison.Ordinal))
            {
                return zone;
            }
        }

        return null;
    }
}
