/*
 * errinfo_server.c - capture-lab RDP server on FreeRDP 2's server library.
 *
 * Accepts connections on 127.0.0.1:PORT, runs the normal RDP connection
 * sequence (negotiation, TLS or Standard RDP Security, MCS, Client Info,
 * licensing, capabilities, finalization) and then, once the client is active
 * (or right after post-connect with --at postconnect), ends the session the
 * way a Windows server does: Deactivate All PDU, Set Error Info PDU with the
 * given code (unless the code is 0), MCS Disconnect Provider Ultimatum, close.
 * With --at postconnect it sends only the Set Error Info PDU right after the
 * Client Info/licensing phase (from the Capabilities callback, before the
 * Demand Active PDU) and closes the TCP connection.
 *
 * With --license-error CODE (Standard RDP Security only, where FreeRDP's
 * server library uses encryption method NONE so licensing PDUs are plain MCS
 * data) the server instead answers the Client Info PDU with a licensing Error
 * Alert (dwErrorCode CODE, dwStateTransition ST_TOTAL_ABORT), then a Set Error
 * Info PDU with --code (if not 0), and drops the connection.
 *
 * usage: errinfo-server --cert F --key F [--port N] [--sec tls|rdp]
 *                       [--code 0xNN] [--delay-ms N] [--at activate|postconnect]
 *                       [--license-error 0xNN] [--redirect TOKEN] [--lifetime S]
 * --redirect TOKEN: the first session gets a Server Redirection PDU (to
 * 127.0.0.1, routing token TOKEN) once active; the next one is served normally.
 * The process exits by itself after --lifetime seconds (default 20).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <freerdp/freerdp.h>
#include <freerdp/listener.h>
#include <freerdp/peer.h>
#include <freerdp/settings.h>
#include <winpr/synch.h>

static const char* g_cert;
static const char* g_key;
static int g_port = 3389;
static int g_rdp_security;      /* 0: TLS, 1: Standard RDP Security */
static UINT32 g_code = 0x7;     /* ERRINFO_DENIED by default */
static int g_delay_ms = 1000;
static int g_at_postconnect;
static int g_lifetime = 20;
static long g_license_error = -1; /* -1: normal licensing (STATUS_VALID_CLIENT) */
static const char* g_redirect_token;  /* redirect the first connection to 127.0.0.1 */
static int g_redirected;

static volatile int g_post_connected;
static volatile int g_activated;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static BOOL on_post_connect(freerdp_peer* client)
{
	(void)client;
	fprintf(stderr, "errinfo-server: post-connect (client info + licensing done)\n");
	g_post_connected = 1;
	return TRUE;
}

static volatile int g_denied;

/* called after Client Info + licensing, right before the Demand Active PDU */
static BOOL on_capabilities(freerdp_peer* client)
{
	if (!g_at_postconnect)
		return TRUE;
	freerdp_set_error_info(client->context->rdp, g_code);
	fprintf(stderr, "errinfo-server: denying before Demand Active with error info 0x%08X (%s)\n",
	        g_code, freerdp_get_error_info_name(g_code));
	freerdp_send_error_info(client->context->rdp);
	g_denied = 1;
	return FALSE;
}

static BOOL on_activate(freerdp_peer* client)
{
	(void)client;
	fprintf(stderr, "errinfo-server: client activated\n");
	g_activated = 1;
	return TRUE;
}

static int write_all(int fd, const BYTE* p, size_t n)
{
	while (n > 0)
	{
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Licensing: called with s == NULL right after the Client Info PDU. */
static LicenseCallbackResult on_license(freerdp_peer* client, wStream* s)
{
	if (s != NULL)
		return LICENSE_CB_IN_PROGRESS;
	{
		/* TPKT + X.224 DT + MCS SendDataIndication (initiator 1002, channel 1003,
		 * 20 bytes) + basic security header SEC_LICENSE_PKT + LICENSE_ERROR_MESSAGE */
		UINT32 code = (UINT32)g_license_error;
		BYTE pdu[34] = { 0x03, 0x00, 0x00, 34,                   /* TPKT */
			             0x02, 0xF0, 0x80,                       /* X.224 Data */
			             0x68, 0x00, 0x01, 0x03, 0xEB, 0x70, 20, /* MCS SDin */
			             0x80, 0x00, 0x00, 0x00,                 /* SEC_LICENSE_PKT */
			             0xFF, 0x03, 16, 0x00,                   /* ERROR_ALERT, v3, 16 bytes */
			             (BYTE)code, (BYTE)(code >> 8), (BYTE)(code >> 16), (BYTE)(code >> 24),
			             0x01, 0x00, 0x00, 0x00,                 /* ST_TOTAL_ABORT */
			             0x04, 0x00, 0x00, 0x00 };               /* BB_ERROR_BLOB, empty */
		fprintf(stderr, "errinfo-server: licensing error alert dwErrorCode 0x%X\n", code);
		if (write_all(client->sockfd, pdu, sizeof(pdu)) < 0)
			return LICENSE_CB_INTERNAL_ERROR;
		if (g_code != 0)
		{
			freerdp_set_error_info(client->context->rdp, g_code);
			freerdp_send_error_info(client->context->rdp);
		}
		usleep(300 * 1000);
		return LICENSE_CB_ABORT;
	}
}

static void serve(freerdp_peer* client)
{
	rdpSettings* settings;
	double start = now_s(), trigger = 0;
	int closed = 0;

	g_post_connected = g_activated = g_denied = 0;
	client->ContextSize = sizeof(rdpContext);
	if (!freerdp_peer_context_new(client))
	{
		fprintf(stderr, "errinfo-server: context_new failed\n");
		freerdp_peer_free(client);
		return;
	}
	settings = client->settings;
	freerdp_settings_set_string(settings, FreeRDP_CertificateFile, g_cert);
	freerdp_settings_set_string(settings, FreeRDP_PrivateKeyFile, g_key);
	freerdp_settings_set_string(settings, FreeRDP_RdpKeyFile, g_key);
	freerdp_settings_set_bool(settings, FreeRDP_RdpSecurity, g_rdp_security ? TRUE : FALSE);
	freerdp_settings_set_bool(settings, FreeRDP_TlsSecurity, g_rdp_security ? FALSE : TRUE);
	freerdp_settings_set_bool(settings, FreeRDP_NlaSecurity, FALSE);
	/* ask for real Standard RDP Security encryption; FreeRDP 2.11 (Debian) still
	 * announces encryption method NONE, as freerdp-shadow-cli does */
	freerdp_settings_set_bool(settings, FreeRDP_UseRdpSecurityLayer, g_rdp_security ? TRUE : FALSE);
	if (g_rdp_security)
		freerdp_settings_set_uint32(settings, FreeRDP_EncryptionMethods,
		                            ENCRYPTION_METHOD_40BIT | ENCRYPTION_METHOD_56BIT |
		                                ENCRYPTION_METHOD_128BIT | ENCRYPTION_METHOD_FIPS);
	freerdp_settings_set_uint32(settings, FreeRDP_EncryptionLevel,
	                            g_rdp_security ? ENCRYPTION_LEVEL_CLIENT_COMPATIBLE
	                                           : ENCRYPTION_LEVEL_NONE);
	client->PostConnect = on_post_connect;
	client->Activate = on_activate;
	client->Capabilities = on_capabilities;
	if (g_license_error >= 0) /* otherwise keep the library's STATUS_VALID_CLIENT */
		client->LicenseCallback = on_license;

	if (!client->Initialize(client))
	{
		fprintf(stderr, "errinfo-server: peer initialize failed\n");
		goto out;
	}

	while (now_s() - start < 15)
	{
		HANDLE handles[32];
		DWORD count = client->GetEventHandles(client, handles, 32);
		if (count == 0)
			break;
		WaitForMultipleObjects(count, handles, FALSE, 50);
		if (!client->CheckFileDescriptor(client))
		{
			fprintf(stderr, "errinfo-server: connection closed by the client or failed\n");
			break;
		}
		if (g_denied)
		{
			/* Set Error Info already sent from the Capabilities callback: drop TCP */
			break;
		}
		if (g_redirect_token && !g_redirected && g_activated)
		{
			/* Server Redirection PDU (load balancing): back to 127.0.0.1 with a
			 * routing token the client must put in its next X.224 CR */
			g_redirected = 1;
			fprintf(stderr, "errinfo-server: sending Server Redirection PDU (token %s)\n",
			        g_redirect_token);
			if (!client->SendServerRedirection(client, 2, "127.0.0.1", g_redirect_token, NULL, NULL,
			                                   NULL, NULL, NULL, 0, NULL, 0, NULL))
				fprintf(stderr, "errinfo-server: SendServerRedirection failed\n");
			trigger = now_s() + 5; /* the client should leave by itself */
			continue;
		}
		if (!g_at_postconnect && trigger == 0 && g_activated)
			trigger = now_s() + g_delay_ms / 1000.0;
		if (trigger != 0 && now_s() >= trigger)
		{
			/* Deactivate All, Set Error Info (when the code is not 0), MCS DPUm */
			freerdp_set_error_info(client->context->rdp, g_code);
			freerdp_settings_set_bool(settings, FreeRDP_SupportErrorInfoPdu,
			                          g_code != 0 ? TRUE : FALSE);
			fprintf(stderr, "errinfo-server: closing with error info 0x%08X (%s)\n", g_code,
			        g_code ? freerdp_get_error_info_name(g_code) : "none, DPUm only");
			client->Close(client);
			closed = 1;
			break;
		}
	}
	if (closed)
	{
		/* give the client a moment to read the PDUs before the FIN */
		double end = now_s() + 0.3;
		while (now_s() < end)
		{
			HANDLE handles[32];
			DWORD count = client->GetEventHandles(client, handles, 32);
			if (count == 0)
				break;
			WaitForMultipleObjects(count, handles, FALSE, 50);
			if (!client->CheckFileDescriptor(client))
				break;
		}
	}
	client->Disconnect(client);
out:
	freerdp_peer_context_free(client);
	freerdp_peer_free(client);
}

static BOOL peer_accepted(freerdp_listener* listener, freerdp_peer* client)
{
	(void)listener;
	fprintf(stderr, "errinfo-server: connection accepted\n");
	serve(client); /* one session at a time is all the lab needs */
	return TRUE;
}

int main(int argc, char** argv)
{
	freerdp_listener* listener;
	double start;
	int i;

	for (i = 1; i + 1 < argc; i += 2)
	{
		if (!strcmp(argv[i], "--cert")) g_cert = argv[i + 1];
		else if (!strcmp(argv[i], "--key")) g_key = argv[i + 1];
		else if (!strcmp(argv[i], "--port")) g_port = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--sec")) g_rdp_security = !strcmp(argv[i + 1], "rdp");
		else if (!strcmp(argv[i], "--code")) g_code = (UINT32)strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--delay-ms")) g_delay_ms = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--at")) g_at_postconnect = !strcmp(argv[i + 1], "postconnect");
		else if (!strcmp(argv[i], "--lifetime")) g_lifetime = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--license-error")) g_license_error = strtol(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--redirect")) g_redirect_token = argv[i + 1];
		else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
	}
	if (!g_cert || !g_key)
	{
		fprintf(stderr, "usage: %s --cert F --key F [--port N] [--sec tls|rdp] [--code 0xNN] "
		                "[--delay-ms N] [--at activate|postconnect] [--lifetime S]\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);

	listener = freerdp_listener_new();
	if (!listener)
		return 1;
	listener->PeerAccepted = peer_accepted;
	if (!listener->Open(listener, "127.0.0.1", (UINT16)g_port))
	{
		fprintf(stderr, "errinfo-server: cannot listen on port %d\n", g_port);
		return 1;
	}
	fprintf(stderr, "errinfo-server: listening on 127.0.0.1:%d (%s, code 0x%X)\n", g_port,
	        g_rdp_security ? "rdp" : "tls", g_code);
	start = now_s();
	while (now_s() - start < g_lifetime)
	{
		HANDLE handles[32];
		DWORD count = listener->GetEventHandles(listener, handles, 32);
		if (count == 0)
			break;
		WaitForMultipleObjects(count, handles, FALSE, 200);
		if (!listener->CheckFileDescriptor(listener))
			break;
	}
	listener->Close(listener);
	freerdp_listener_free(listener);
	return 0;
}
