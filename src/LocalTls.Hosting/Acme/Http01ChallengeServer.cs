using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LocalTls.Acme;

/// <summary>
/// Solves http-01: a minimal HTTP/1.1 listener (default 127.0.0.1:80) that answers
/// <c>GET /.well-known/acme-challenge/{token}</c> with the key authorization of a challenge being validated,
/// and 404 for everything else. The CA fetches port 80 of the address the name resolves to, so for
/// <c>app.127.0.0.1.sslip.io</c> it must listen on 127.0.0.1:80.
/// </summary>
/// <example>
/// <code>
/// await using var http = Http01ChallengeServer.Start();          // 127.0.0.1:80
/// var issued = await client.IssueAsync(["app.127.0.0.1.sslip.io"], http);
/// </code>
/// </example>
internal sealed class Http01ChallengeServer : IAcmeChallengeSolver, IAsyncDisposable
{
    /// <summary>The path prefix the CA fetches.</summary>
    public const string PathPrefix = "/.well-known/acme-challenge/";

    private const int MaxRequestBytes = 8192;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly TcpListener _listener;
    private readonly ConcurrentDictionary<string, string> _answers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private long _requests;
    private long _answered;
    private int _disposed;

    private Http01ChallengeServer(TcpListener listener)
    {
        _listener = listener;
        EndPoint = (IPEndPoint)listener.LocalEndpoint;
        _acceptLoop = Task.Run(AcceptAsync);
    }

    /// <summary>The default endpoint: 127.0.0.1:80.</summary>
    public static IPEndPoint DefaultEndPoint => new(IPAddress.Loopback, 80);

    /// <summary>Where it listens (with the actual port when port 0 was asked for).</summary>
    public IPEndPoint EndPoint { get; }

    /// <inheritdoc />
    public string ChallengeType => AcmeChallengeTypes.Http01;

    /// <summary>Requests received.</summary>
    public long RequestCount => Interlocked.Read(ref _requests);

    /// <summary>Requests answered with a key authorization.</summary>
    public long AnsweredCount => Interlocked.Read(ref _answered);

    /// <summary>Starts listening.</summary>
    /// <param name="endPoint">Where to listen; <see cref="DefaultEndPoint"/> (127.0.0.1:80) when null.</param>
    /// <returns>The running server; dispose it to stop.</returns>
    /// <exception cref="InvalidOperationException">The endpoint cannot be bound; the message says why and what to do.</exception>
    /// <example>
    /// <code>
    /// await using var http = Http01ChallengeServer.Start(new IPEndPoint(IPAddress.Loopback, 80));
    /// </code>
    /// </example>
    public static Http01ChallengeServer Start(IPEndPoint? endPoint = null)
    {
        endPoint ??= DefaultEndPoint;
        var listener = new TcpListener(endPoint);
        try
        {
            listener.Start();
        }
        catch (SocketException e)
        {
            listener.Stop();
            throw new InvalidOperationException(BindError(endPoint, e), e);
        }

        return new Http01ChallengeServer(listener);
    }

    /// <summary>Whether a listener could be started on <paramref name="endPoint"/> now (it is bound and released at once).</summary>
    /// <param name="endPoint">The endpoint; <see cref="DefaultEndPoint"/> when null.</param>
    /// <param name="reason">Why not, when it cannot.</param>
    /// <returns>True when binding works.</returns>
    public static bool CanBind(IPEndPoint? endPoint, out string? reason)
    {
        endPoint ??= DefaultEndPoint;
        var listener = new TcpListener(endPoint);
        try
        {
            listener.Start();
            reason = null;
            return true;
        }
        catch (SocketException e)
        {
            reason = BindError(endPoint, e);
            return false;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>Serves a key authorization under a token until <see cref="Remove"/>.</summary>
    /// <param name="token">The challenge token (base64url).</param>
    /// <param name="keyAuthorization">The body to answer with.</param>
    public void Add(string token, string keyAuthorization)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        ArgumentException.ThrowIfNullOrEmpty(keyAuthorization);
        _answers[token] = keyAuthorization;
    }

    /// <summary>Stops serving a token.</summary>
    /// <param name="token">The token.</param>
    /// <returns>True when it was served.</returns>
    public bool Remove(string token) => _answers.TryRemove(token, out _);

    /// <inheritdoc />
    public Task PrepareAsync(AcmeChallengeWork work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        Add(work.Token, work.KeyAuthorization);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task CleanupAsync(AcmeChallengeWork work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        Remove(work.Token);
        return Task.CompletedTask;
    }

    /// <summary>Stops listening and releases the port.</summary>
    /// <returns>A task that completes when the accept loop has ended.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _acceptLoop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private static string BindError(IPEndPoint endPoint, SocketException e) => e.SocketErrorCode switch
    {
        SocketError.AccessDenied =>
            $"Cannot listen on {endPoint} for http-01: permission denied (ports below 1024 are privileged). " +
            "Run as root, or grant the program CAP_NET_BIND_SERVICE (e.g. 'sudo setcap cap_net_bind_service=+ep $(readlink -f $(which dotnet))'), " +
            "or lower net.ipv4.ip_unprivileged_port_start to 80, or use dns-01 (--challenge dns-01), which needs no port 80.",
        SocketError.AddressAlreadyInUse =>
            $"Cannot listen on {endPoint} for http-01: another process already uses it (see 'ss -ltnp sport = :{endPoint.Port}'). Stop it, or use dns-01 (--challenge dns-01).",
        SocketError.AddressNotAvailable =>
            $"Cannot listen on {endPoint} for http-01: the address is not on this machine. Use 127.0.0.1:80 (or another local address).",
        _ => $"Cannot listen on {endPoint} for http-01: {e.Message}. Choose another address, or use dns-01 (--challenge dns-01).",
    };

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            _ = Task.Run(() => AnswerAsync(socket));
        }
    }

    private async Task AnswerAsync(Socket socket)
    {
        using (socket)
        using (var stream = new NetworkStream(socket, ownsSocket: false))
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
        {
            timeout.CancelAfter(RequestTimeout);
            try
            {
                var head = await ReadHeadAsync(stream, timeout.Token).ConfigureAwait(false);
                if (head is null)
                {
                    return;
                }

                Interlocked.Increment(ref _requests);
                var requestLine = head.Split("\r\n", 2)[0].Split(' ');
                var (status, body) = Respond(requestLine);
                var isHead = requestLine.Length > 0 && requestLine[0] == "HEAD";
                var bytes = Encoding.ASCII.GetBytes(body);
                var response = new StringBuilder()
                    .Append("HTTP/1.1 ").Append(status).Append("\r\n")
                    .Append("Content-Type: text/plain\r\n")
                    .Append("Content-Length: ").Append(bytes.Length).Append("\r\n")
                    .Append("Connection: close\r\n\r\n");
                await stream.WriteAsync(Encoding.ASCII.GetBytes(response.ToString()), timeout.Token).ConfigureAwait(false);
                if (!isHead)
                {
                    await stream.WriteAsync(bytes, timeout.Token).ConfigureAwait(false);
                }

                await stream.FlushAsync(timeout.Token).ConfigureAwait(false);
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client went away, or took too long: nothing to answer.
            }
        }
    }

    private (string Status, string Body) Respond(string[] requestLine)
    {
        if (requestLine.Length != 3 || !requestLine[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return ("400 Bad Request", "bad request\n");
        }

        if (requestLine[0] is not ("GET" or "HEAD"))
        {
            return ("405 Method Not Allowed", "only GET and HEAD\n");
        }

        var target = requestLine[1];
        if (Uri.TryCreate(target, UriKind.Absolute, out var absolute) && absolute.Scheme is "http")
        {
            target = absolute.AbsolutePath;
        }

        if (target.StartsWith(PathPrefix, StringComparison.Ordinal)
            && _answers.TryGetValue(target[PathPrefix.Length..], out var keyAuthorization))
        {
            Interlocked.Increment(ref _answered);
            return ("200 OK", keyAuthorization);
        }

        return ("404 Not Found", "no such challenge\n");
    }

    private static async Task<string?> ReadHeadAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxRequestBytes];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            read += n;
            if (buffer.AsSpan(0, read).IndexOf("\r\n\r\n"u8) >= 0)
            {
                break;
            }
        }

        return read == 0 ? null : Encoding.ASCII.GetString(buffer, 0, read);
    }
}
