using LocalTls.StepCa;
using Microsoft.Extensions.Logging;

namespace LocalTls.Tests.StepCa;

/// <summary>step-ca's logfmt request lines (as step-ca 0.19 writes them) condensed for the CA's console log.</summary>
public class StepCaRequestLogTests
{
    [Fact]
    public void A_request_line_becomes_method_path_status_and_duration_without_its_body()
    {
        const string line = """2026-12-02T05:45:29.4860000Z time="2026-12-02T05:45:29Z" level=info duration=4.622781ms duration-ns=4622781 fields.time="2026-12-02T05:45:29Z" method=POST name=ca nonce=RkpnVWZsMHpKN00yVXh4Wnlva2FWQ0owZ1ZuUERnV1M path=/acme/acme/new-order protocol=HTTP/1.1 referer= remote-address=127.0.0.1 request-id=dc7r0udqmd2tp45rrqe0 response="{\"id\":\"efzp\",\"status\":\"pending\"}" size=416 status=201 user-agent=LocalTls/0.1.0 user-id=""";
        Assert.Equal((LogLevel.Information, "POST /acme/acme/new-order 201 4.622781ms"), StepCaRequestLog.Condense(line));
    }

    [Fact]
    public void An_issued_certificate_reads_with_its_subject_and_serial_as_openssl_prints_it()
    {
        const string line = """time="2026-12-02T05:45:29Z" level=info certificate=MIICADCCAaagAwIBAgIQTDZmHjlo duration=2.05778ms duration-ns=2057780 issuer="Local Development Intermediate CA" method=POST name=ca path=/acme/acme/certificate/WZrh8 protocol=HTTP/1.1 provisioner=acme public-key="ECDSA P-256" serial=101303782910405687070157667546073685100 size=1405 status=200 subject=web.127.0.0.1.sslip.io valid-to="2026-12-03T05:45:29Z" """;
        // 101303782910405687070157667546073685100 = 0x4C36661E3968501B5E0CC112560C5C6C
        Assert.Equal((LogLevel.Information, "POST /acme/acme/certificate/WZrh8 200 2.05778ms: issued web.127.0.0.1.sslip.io, serial 4C36661E3968501B5E0CC112560C5C6C, valid to 2026-12-03T05:45:29Z"), StepCaRequestLog.Condense(line));
    }

    [Fact]
    public void A_refused_request_keeps_its_error_in_full_at_warning_and_a_server_error_at_error()
    {
        const string refused = """time="2026-12-02T05:45:29Z" level=error duration="88µs" error="The request message was malformed: failed to parse JWS: \"bad\" input" method=POST path=/acme/acme/new-order status=400""";
        Assert.Equal((LogLevel.Warning, "POST /acme/acme/new-order 400 88µs: The request message was malformed: failed to parse JWS: \"bad\" input"), StepCaRequestLog.Condense(refused));
        var failed = StepCaRequestLog.Condense("""time="x" level=error duration=1ms error="db closed" method=POST path=/acme/acme/new-account status=500""");
        Assert.Equal(LogLevel.Error, failed?.Level);
    }

    [Fact]
    public void Healthy_polling_and_badger_housekeeping_are_left_out_and_start_up_lines_lose_gos_date()
    {
        Assert.Null(StepCaRequestLog.Condense("""time="2026-12-02T05:45:29Z" level=info duration="48.322µs" method=GET name=ca path=/health status=200"""));
        Assert.Null(StepCaRequestLog.Condense("2026-12-02T05:46:07.0450000Z badger 2026/12/02 05:46:07 INFO: Force compaction on level 0 done"));
        Assert.Equal((LogLevel.Information, "Serving HTTPS on 127.0.0.1:42943 ..."), StepCaRequestLog.Condense("2026-12-02T05:45:28.4630000Z 2026/12/02 05:45:28 Serving HTTPS on 127.0.0.1:42943 ..."));
    }
}
