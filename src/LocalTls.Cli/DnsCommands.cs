using System.CommandLine;
using System.Net;
using LocalTls.Sslip;

namespace LocalTls.Cli;

/// <summary><c>localtls dns serve</c>.</summary>
internal static class DnsCommands
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var listen = new Option<string>("--listen")
        {
            Description = "The loopback address:port to answer on (UDP and TCP). Port 0 picks a free port.",
            DefaultValueFactory = _ => $"127.0.0.1:{SslipDnsServerOptions.DefaultPort}",
        };
        var zones = new Option<string[]>("--zone") { Description = "A zone to answer for (repeatable). Default: sslip.io and nip.io.", AllowMultipleArgumentsPerToken = true };
        var ttl = new Option<int>("--ttl") { Description = "TTL in seconds of A/AAAA answers.", DefaultValueFactory = _ => 60 };
        var serve = new Command("serve", "Answer sslip.io/nip.io names from the name itself (app.127.0.0.1.sslip.io -> 127.0.0.1), offline, until Ctrl+C. Point step-ca at it with --resolver.")
        {
            listen, zones, ttl,
        };
        serve.SetAction((parse, cancellationToken) => LocalTlsCommand.Guard(stderr, async () =>
        {
            var endPoint = ParseEndPoint(parse.GetValue(listen)!);
            await using var server = SslipDnsServer.Start(new SslipDnsServerOptions
            {
                EndPoint = endPoint,
                Zones = parse.GetValue(zones) is { Length: > 0 } z ? z : null,
                Ttl = TimeSpan.FromSeconds(parse.GetValue(ttl)),
            });
            await stdout.WriteLineAsync($"Answering {string.Join(", ", server.Zones)} on {server.EndPoint} (udp{(server.IsTcpEnabled ? "+tcp" : "")}). Try: dig @{server.EndPoint.Address} -p {server.Port} app.127.0.0.1.sslip.io");
            await stdout.FlushAsync(CancellationToken.None);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }

            await stdout.WriteLineAsync($"Stopped after {server.QueryCount} queries.");
            return ExitCodes.Success;
        }));
        var dns = new Command("dns", "An offline DNS responder for sslip.io and nip.io names, and LocalTls's sslip.io block in a k3s cluster's CoreDNS.");
        dns.Subcommands.Add(serve);
        dns.Subcommands.Add(BuildRemoveClusterOverride(stdout, stderr));
        return dns;
    }

    /// <summary><c>localtls dns remove-cluster-override</c>: takes out what <c>WithSslipDns()</c> wrote, and nothing else.</summary>
    private static Command BuildRemoveClusterOverride(TextWriter stdout, TextWriter stderr)
    {
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "The kubeconfig file. Default: $KUBECONFIG, else ~/.kube/config.", HelpName = "FILE" };
        var context = new Option<string?>("--context") { Description = "A context of the kubeconfig. Default: its current context.", HelpName = "NAME" };
        var remove = new Command(
            "remove-cluster-override",
            $"Remove LocalTls's key ({LocalTls.Cluster.CoreDnsNames.Key}) from {LocalTls.Cluster.CoreDnsNames.Namespace}/{LocalTls.Cluster.CoreDnsNames.ConfigMap}, which WithSslipDns() writes on k3s; keys others wrote stay.")
        {
            kubeconfig, context,
        };
        remove.SetAction((parse, cancellationToken) => LocalTlsCommand.Guard(stderr, async () =>
        {
            var cluster = new Aspire.Hosting.ApplicationModel.KubeconfigClusterResource("cluster")
            {
                KubeconfigPath = parse.GetValue(kubeconfig) is { } path ? Path.GetFullPath(path) : null,
                Context = parse.GetValue(context),
            };
            LocalTls.Cluster.ClusterConnection connection;
            try
            {
                connection = await LocalTls.Cluster.ClusterConnector.ConnectAsync(cluster, cancellationToken);
            }
            catch (LocalTls.Cluster.ClusterUnavailableException e)
            {
                await stderr.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Environment;
            }

            using (connection.Client)
            {
                try
                {
                    var removed = await LocalTls.Cluster.CoreDnsOverride.RemoveAsync(connection.Client, cancellationToken);
                    await stdout.WriteLineAsync(removed
                        ? $"Removed {LocalTls.Cluster.CoreDnsNames.Key} from {LocalTls.Cluster.CoreDnsNames.Namespace}/{LocalTls.Cluster.CoreDnsNames.ConfigMap} in context '{connection.Context}'; {LocalTls.Cluster.CoreDnsOverride.PickUp}."
                        : $"Nothing to remove: {LocalTls.Cluster.CoreDnsNames.Namespace}/{LocalTls.Cluster.CoreDnsNames.ConfigMap} has no key {LocalTls.Cluster.CoreDnsNames.Key} in context '{connection.Context}'.");
                    return ExitCodes.Success;
                }
                catch (k8s.Autorest.HttpOperationException e)
                {
                    await stderr.WriteLineAsync($"error: the API server answered {(int)e.Response.StatusCode}: {e.Response.Content}");
                    return ExitCodes.Environment;
                }
            }
        }));
        return remove;
    }

    internal static IPEndPoint ParseEndPoint(string text)
    {
        if (!IPEndPoint.TryParse(text, out var endPoint) || (!text.Contains(':') && !text.StartsWith('[')))
        {
            throw new FormatException($"'{text}' is not an address:port: write e.g. 127.0.0.1:{SslipDnsServerOptions.DefaultPort} or [::1]:{SslipDnsServerOptions.DefaultPort}.");
        }

        return endPoint;
    }
}
