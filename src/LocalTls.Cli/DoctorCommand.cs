using System.CommandLine;
using Aspire.Hosting.ApplicationModel;
using LocalTls.Cluster;
using LocalTls.Diagnostics;

namespace LocalTls.Cli;

/// <summary><c>localtls doctor</c>: the dashboard's Diagnose over a whole cluster, without an AppHost.</summary>
internal static class DoctorCommand
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "The kubeconfig. Default: the first of $KUBECONFIG, else ~/.kube/config." };
        var context = new Option<string?>("--context") { Description = "The context to use. Default: the kubeconfig's current context." };
        var namespaces = new Option<string[]>("--namespace", "-n") { Description = "Look only at Certificates and Issuers in this namespace (repeatable). Default: all namespaces.", AllowMultipleArgumentsPerToken = true };
        var format = new Option<string>("--format") { Description = "text, or json (stable field names, findings sorted by severity, code and object).", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var doctor = new Command("doctor", "Check a cluster the way the dashboard's Diagnose does: step-ca's health and pod, issuers and their caBundle, stuck certificates and their CertificateRequest/Order/Challenge chain, solver Ingresses, ingress classes, the CoreDNS override, cert-manager and the clock. Exit 0 when nothing needs action, 5 when something does.")
        {
            kubeconfig, context, namespaces, format,
        };
        doctor.SetAction((parse, cancellationToken) => LocalTlsCommand.Guard(stderr, async () =>
        {
            var cluster = new KubeconfigClusterResource("doctor") { KubeconfigPath = parse.GetValue(kubeconfig), Context = parse.GetValue(context) };
            ClusterConnection connection;
            try
            {
                connection = await ClusterConnector.ConnectAsync(cluster, cancellationToken);
            }
            catch (ClusterUnavailableException e)
            {
                // The connector speaks the AppHost's words (WithKubeconfig); here the options are what to change.
                await stderr.WriteLineAsync($"error: {e.Message} (here: --kubeconfig FILE, --context NAME)");
                return ExitCodes.Environment;
            }

            using var _ = connection.Client;
            var scope = DiagnosisScope.Cluster(parse.GetValue(namespaces));
            IReadOnlyList<Finding> findings;
            try
            {
                findings = await new ClusterDiagnosis(connection.Client).RunAsync(scope, cancellationToken);
            }
            catch (k8s.Autorest.HttpOperationException e)
            {
                await stderr.WriteLineAsync($"error: the API server at {connection.Server} answered {(int)e.Response.StatusCode} while checking: {e.Response.Content}. Does context '{connection.Context}' have read access to the cluster?");
                return ExitCodes.Environment;
            }
            catch (HttpRequestException e)
            {
                await stderr.WriteLineAsync($"error: the API server at {connection.Server} went away while checking: {e.Message}");
                return ExitCodes.Environment;
            }

            await stdout.WriteAsync(parse.GetValue(format) == "json"
                ? FindingReport.Json(findings, connection.Server.ToString(), connection.Context)
                : FindingReport.Text(findings, $"context '{connection.Context}' ({connection.Server})"));
            return findings.Any(f => f.NeedsAction) ? ExitCodes.Findings : ExitCodes.Success;
        }));
        return doctor;
    }
}
