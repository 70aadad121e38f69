using System.CommandLine;
using System.Globalization;
using System.Net;
using LocalTls.Acme;
using LocalTls;
using LocalTls.Pki;
using LocalTls.Sslip;

namespace LocalTls.Cli;

/// <summary><c>localtls acme issue</c>.</summary>
internal static class AcmeCommands
{
    private const string Auto = "auto";

    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var acme = new Command("acme", "An ACME client for step-ca (or any RFC 8555 server): issue certificates for sslip.io names over http-01 or dns-01.");
        acme.Subcommands.Add(Issue(stdout, stderr));
        return acme;
    }

    private static Command Issue(TextWriter stdout, TextWriter stderr)
    {
        var server = new Option<string?>("--server") { Description = "The ACME directory URL, e.g. https://127.0.0.1:9000/acme/acme/directory (as 'localtls stepca config' prints it).", HelpName = "URL" };
        var caBundle = new Option<string?>("--ca-bundle") { Description = "PEM root certificate(s) to trust for the server's TLS certificate, and only those. Default: the CA store's root when there is one, else the system's roots.", HelpName = "FILE" };
        var names = new Option<string[]>("--name") { Description = "A name to issue for (repeatable): app.127.0.0.1.sslip.io, *.127.0.0.1.sslip.io (dns-01 only) or an IP address. The first names the files.", AllowMultipleArgumentsPerToken = true, HelpName = "NAME" };
        var challenge = new Option<string>("--challenge")
        {
            Description = "http-01 (a listener on --http-listen, port 80 by default), dns-01 (a DNS server on --dns-listen that step-ca must use as --resolver), " +
                "or auto: dns-01 for wildcards or when --http-listen cannot be bound, else http-01.",
            DefaultValueFactory = _ => Auto,
            HelpName = "TYPE",
        };
        var dnsListen = new Option<string>("--dns-listen") { Description = "Where the sslip.io DNS server listens while issuing (UDP and TCP), with the dns-01 TXT records; step-ca must run with --resolver set to it. For http-01 it is skipped when the address is in use (e.g. by 'localtls dns serve').", DefaultValueFactory = _ => $"127.0.0.1:{SslipDnsServerOptions.DefaultPort}", HelpName = "ADDR:PORT" };
        var httpListen = new Option<string>("--http-listen") { Description = "Where the http-01 listener listens; the CA connects to port 80 of the address the name resolves to.", DefaultValueFactory = _ => "127.0.0.1:80", HelpName = "ADDR:PORT" };
        var accountKey = new Option<string?>("--account-key") { Description = "The ACME account key (PEM); created when missing. Default: {caroot}/acme/{host}-{port}/account.key, so later runs reuse the account.", HelpName = "FILE" };
        var caroot = new Option<string?>("--caroot") { Description = $"The CA store directory (account keys, default trusted root). Default: ${CaStore.DirectoryVariable}, else the per-user data directory.", HelpName = "DIR" };
        var output = new Option<string?>("--out") { Description = "The folder to write {first name}.crt (leaf + intermediates) and {first name}.key (mode 0600) into.", HelpName = "DIR" };
        var timeout = new Option<string>("--timeout") { Description = "The bound on the whole issuance, e.g. 60s, 2m, 500ms.", DefaultValueFactory = _ => "60s", HelpName = "DURATION" };
        var lifetime = new Option<string?>("--lifetime") { Description = "The certificate lifetime to ask for, e.g. 1h (step-ca allows 5m to 24h by default). Default: the server's.", HelpName = "DURATION" };
        var command = new Command("issue", "Issue a certificate from an ACME server and write the chain and its key. Exit codes: 2 bad input, 3 the machine is in the way (port in use or privileged, unwritable folder), 4 the ACME server refused or failed.")
        {
            server, caBundle, names, challenge, dnsListen, httpListen, accountKey, caroot, output, timeout, lifetime,
        };
        command.SetAction((parse, cancellationToken) => LocalTlsCommand.Guard(stderr, async () =>
        {
            var directoryUrl = ParseServer(parse.GetValue(server));
            var requested = (parse.GetValue(names) ?? []).Where(n => !string.IsNullOrWhiteSpace(n)).Select(n => n.Trim()).ToList();
            if (requested.Count == 0)
            {
                throw new ArgumentException("--name is missing: give at least one name to issue for, e.g. --name app.127.0.0.1.sslip.io.");
            }

            var identifiers = requested.Select(AcmeIdentifier.For).ToList();
            foreach (var identifier in identifiers.Where(i => i.Type == "dns"))
            {
                var name = identifier.IsWildcard ? identifier.Value[2..] : identifier.Value;
                if (name.Length == 0 || name.Contains('*', StringComparison.Ordinal) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))
                {
                    throw new ArgumentException($"--name '{identifier.Value}' is not a host name: use letters, digits, '-' and '.', with '*.' only at the start, e.g. app.127.0.0.1.sslip.io or *.127.0.0.1.sslip.io.");
                }
            }

            var type = parse.GetValue(challenge)?.Trim().ToLowerInvariant();
            if (type is not (Auto or AcmeChallengeTypes.Http01 or AcmeChallengeTypes.Dns01))
            {
                throw new ArgumentException($"--challenge '{parse.GetValue(challenge)}' is not a challenge type this command solves: give http-01, dns-01 or auto.");
            }

            var outDir = parse.GetValue(output) is { } o && !string.IsNullOrWhiteSpace(o)
                ? Path.GetFullPath(o)
                : throw new ArgumentException("--out is missing: give the folder to write the certificate and key into, e.g. --out ./certs.");
            var bound = ParseDuration(parse.GetValue(timeout)!, timeout.Name);
            var requestedLifetime = parse.GetValue(lifetime) is { } l ? ParseDuration(l, lifetime.Name) : (TimeSpan?)null;
            var dnsEndPoint = ParseEndPoint(parse.GetValue(dnsListen)!, dnsListen.Name);
            var httpEndPoint = ParseEndPoint(parse.GetValue(httpListen)!, httpListen.Name);
            if (type == AcmeChallengeTypes.Http01 && identifiers.FirstOrDefault(i => i.IsWildcard) is { } wildcard)
            {
                throw new ArgumentException($"--name {wildcard.Value} is a wildcard, which only dns-01 can validate: use --challenge dns-01 (or auto).");
            }

            var store = new CaStore(parse.GetValue(caroot));
            string? rootsPem = null;
            string trust;
            if (parse.GetValue(caBundle) is { } bundle)
            {
                rootsPem = LocalTlsCommand.ReadInput(bundle, caBundle.Name);
                AcmeClient.CreateHandler(rootsPem).Dispose();
                trust = $"the root(s) in {Path.GetFullPath(bundle)}";
            }
            else if (File.Exists(store.RootCertificatePath))
            {
                rootsPem = File.ReadAllText(store.RootCertificatePath);
                trust = $"the CA store's root {store.RootCertificatePath}";
            }
            else
            {
                trust = "the system's roots";
            }

            if (type == Auto)
            {
                type = AcmeIssuance.ChooseChallengeType(requested, dnsServerAvailable: true, httpEndPoint, out var reason);
                await stdout.WriteLineAsync($"Using {type}: {reason}.");
            }

            if (type == AcmeChallengeTypes.Http01)
            {
                CheckResolvable(identifiers);
            }

            var options = new AcmeIssueOptions
            {
                DirectoryUrl = directoryUrl,
                Client = new AcmeClientOptions { TrustedRootsPem = rootsPem },
                AccountKeyPath = parse.GetValue(accountKey),
                CaRoot = store.Directory,
                Timeout = bound,
                Lifetime = requestedLifetime,
            };
            var keyPath = AcmeIssuance.ResolveAccountKeyPath(options);
            await stdout.WriteLineAsync($"ACME server {directoryUrl} (trusting {trust}); account key {keyPath}{(File.Exists(keyPath) ? "" : " (new)")}.");

            AcmeCertificate issued;
            if (type == AcmeChallengeTypes.Dns01)
            {
                await using var dns = SslipDnsServer.Start(new SslipDnsServerOptions { EndPoint = dnsEndPoint });
                await stdout.WriteLineAsync($"Answering dns-01 TXT lookups on {dns.EndPoint}: step-ca must resolve through it (start step-ca with --resolver {dns.EndPoint}).");
                await stdout.FlushAsync(CancellationToken.None);
                issued = await AcmeIssuance.IssueAsync(requested, new Dns01ChallengeSolver(dns), options, cancellationToken);
            }
            else
            {
                // step-ca resolves the names through its --resolver: answer there too, unless something already does.
                await using var dns = TryStartDns(dnsEndPoint);
                await stdout.WriteLineAsync(dns is null
                    ? $"{dnsEndPoint} is in use: assuming a DNS server (e.g. 'localtls dns serve') answers sslip.io names there for step-ca's --resolver."
                    : $"Answering sslip.io lookups on {dns.EndPoint} for step-ca's --resolver while issuing.");
                await using var http = Http01ChallengeServer.Start(httpEndPoint);
                await stdout.WriteLineAsync($"Answering http-01 on http://{http.EndPoint}{Http01ChallengeServer.PathPrefix}: the CA fetches port 80 of the address each name resolves to.");
                await stdout.FlushAsync(CancellationToken.None);
                issued = await AcmeIssuance.IssueAsync(requested, http, options, cancellationToken);
            }

            var baseName = FileName(identifiers[0].Value);
            var certificatePath = Path.Combine(outDir, baseName + ".crt");
            var privateKeyPath = Path.Combine(outDir, baseName + ".key");
            AtomicFiles.WriteAll(
                [new FileToWrite(certificatePath, issued.CertificateChainPem), new FileToWrite(privateKeyPath, issued.PrivateKeyPem, Secret: true)],
                $"the certificate for {identifiers[0].Value} into {outDir}");
            using var leaf = issued.GetCertificate();
            await stdout.WriteLineAsync($"Issued a certificate for {string.Join(", ", identifiers.Select(i => i.Value))} over {issued.ChallengeType} in {issued.Elapsed.TotalSeconds:0.00} s:");
            await stdout.WriteLineAsync($"  certificate: {certificatePath} (leaf + {issued.ChainPemBlocks.Count - 1} intermediate{(issued.ChainPemBlocks.Count == 2 ? "" : "s")})");
            await stdout.WriteLineAsync($"  key:         {privateKeyPath} (mode 0600)");
            await stdout.WriteLineAsync($"  issuer:      {leaf.Issuer}");
            await stdout.WriteLineAsync($"  valid:       {leaf.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm} to {leaf.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm} UTC");
            await stdout.WriteLineAsync($"  account:     {issued.AccountUrl}");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static SslipDnsServer? TryStartDns(IPEndPoint endPoint)
    {
        try
        {
            return SslipDnsServer.Start(new SslipDnsServerOptions { EndPoint = endPoint });
        }
        catch (InvalidOperationException e) when (e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse })
        {
            return null;
        }
    }

    /// <summary>
    /// http-01 needs each sslip.io/nip.io name to resolve (dns-01 only needs its TXT record): a name the sslip.io
    /// rules read another address from, e.g. app-1.127.0.0.1.sslip.io (read as 1.127.0.0), is bad input.
    /// </summary>
    private static void CheckResolvable(IEnumerable<AcmeIdentifier> identifiers)
    {
        foreach (var identifier in identifiers.Where(i => i.Type == "dns"))
        {
            var inZone = SslipHostname.DefaultZones.Any(z => identifier.Value.EndsWith("." + z, StringComparison.Ordinal));
            if (inZone && !SslipHostname.TryParse(identifier.Value, false, null, out _, out var error))
            {
                throw new ArgumentException($"--name {identifier.Value} cannot be validated over http-01, because the CA could not resolve it: {error}.");
            }
        }
    }

    private static Uri ParseServer(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ArgumentException("--server is missing: give the ACME directory URL, e.g. --server https://127.0.0.1:9000/acme/acme/directory.");
        }

        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http") || string.IsNullOrEmpty(url.Host))
        {
            throw new ArgumentException($"--server '{text}' is not an http(s) URL: give the ACME directory URL, e.g. https://127.0.0.1:9000/acme/acme/directory.");
        }

        return url;
    }

    private static IPEndPoint ParseEndPoint(string text, string option)
    {
        try
        {
            return DnsCommands.ParseEndPoint(text);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"{option} {e.Message}", e);
        }
    }

    /// <summary>A duration: <c>500ms</c>, <c>60s</c>, <c>2m</c>, <c>1h</c>, or a plain number of seconds.</summary>
    internal static TimeSpan ParseDuration(string text, string option)
    {
        var t = text.Trim().ToLowerInvariant();
        var (number, unit) = t.EndsWith("ms", StringComparison.Ordinal) ? (t[..^2], 0.001)
            : t.EndsWith('s') ? (t[..^1], 1.0)
            : t.EndsWith('m') ? (t[..^1], 60.0)
            : t.EndsWith('h') ? (t[..^1], 3600.0)
            : (t, 1.0);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value <= 0 || value * unit > TimeSpan.FromDays(365).TotalSeconds)
        {
            throw new ArgumentException($"{option} '{text}' is not a positive duration: write e.g. 60s, 2m, 500ms or 1h.");
        }

        return TimeSpan.FromSeconds(value * unit);
    }

    /// <summary>A file name for a certificate name: '*' and ':' become '_' (as lego does for wildcards).</summary>
    private static string FileName(string name) => name.Replace('*', '_').Replace(':', '_');
}
